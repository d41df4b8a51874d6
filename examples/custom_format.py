"""A workflow and an activity that carry their values in a format of their own.

Their input and result are ``key=value`` lines of text (no JSON, no flowwire envelope),
written and read by the five underscore override points of ``Workflow`` and ``Activity``:

- where the task runs: ``_deserialize_arguments`` (input), ``_serialize_result`` (result) and,
  for a workflow, ``_serialize_restart_arguments``;
- where it is started or called (classmethods, so no instance is built):
  ``_serialize_arguments`` (input) and ``_deserialize_result`` (result).

Every starter uses the second pair (``run_workflow``, ``LocalEngine.run``, the SWF ``start``
and ``WorkflowRun.result``, ``flowwire run``, ``flowwire swf start --wait``), and so does a
proxy whose target is the class, so the format round-trips on every engine::

    flowwire run examples.custom_format:Invoice -k customer=ACME -k amount='"100.00"'
    python examples/custom_format.py ACME 100.00

Only values cross in this format; failures still travel through the class's transport.
"""

from __future__ import annotations

import sys
from decimal import Decimal
from typing import Any

from flowwire import (
    Activity,
    ActivityProxy,
    DecodeError,
    EncodeError,
    Workflow,
    activity,
    run_workflow,
    wait,
    workflow,
)
from flowwire.transport import Transport


def dump_lines(values: dict[str, Any]) -> str:
    """``{"a": 1, "b": "x"}`` -> ``"a=1\\nb=x"``: keys sorted, every value as ``str``."""
    lines = []
    for key, value in sorted(values.items()):
        text = str(value)
        if not key.isidentifier() or "\n" in text:
            raise EncodeError(f"{key!r}={text!r} cannot be written as a key=value line")
        lines.append(f"{key}={text}")
    return "\n".join(lines)


def load_lines(payload: str) -> dict[str, str]:
    """The inverse of :func:`dump_lines`; every value comes back as a ``str``."""
    values: dict[str, str] = {}
    for number, line in enumerate(payload.splitlines(), 1):
        key, sep, value = line.partition("=")
        if not sep or not key.isidentifier():
            raise DecodeError(f"line {number} of {payload[:40]!r} is not key=value")
        values[key] = value
    return values


def dump_call(cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    if args:
        raise EncodeError(f"{cls.__name__} takes keyword arguments only, got {args!r}")
    return dump_lines(kwargs)


class KeyValueLines:
    """Mixed into a task class before ``Activity`` or ``Workflow``: keyword arguments in,
    a ``dict`` out, both as ``key=value`` lines."""

    # where the task is started or called
    @classmethod
    def _serialize_arguments(
        cls, args: tuple[Any, ...], kwargs: dict[str, Any], *, transport: Transport
    ) -> str:
        return dump_call(cls, args, kwargs)

    @classmethod
    def _deserialize_result(cls, payload: str, *, transport: Transport, type_hint: Any) -> Any:
        return load_lines(payload)

    # where the task runs
    def _deserialize_arguments(self, payload: str) -> tuple[tuple[Any, ...], dict[str, Any]]:
        return (), load_lines(payload)

    def _serialize_result(self, value: Any) -> str:
        return dump_lines(value)

    def _serialize_restart_arguments(self, *args: Any, **kwargs: Any) -> str:
        return dump_call(type(self), args, kwargs)


@activity("examples.tax", "1", "examples")
class Tax(KeyValueLines, Activity):
    """20% tax on an amount, to the cent."""

    def run(self, *, amount: str) -> dict[str, str]:
        tax = (Decimal(amount) * Decimal("0.2")).quantize(Decimal("0.01"))
        return {"tax": str(tax)}


@workflow("examples.invoice", "1", "examples")
class Invoice(KeyValueLines, Workflow):
    """Asks the tax activity for the tax on ``amount`` and adds it up."""

    tax = ActivityProxy(Tax)

    def run(self, *, customer: str, amount: str) -> dict[str, str]:
        tax = wait(self.tax(amount=amount))["tax"]
        total = (Decimal(amount) + Decimal(tax)).quantize(Decimal("0.01"))
        return {"customer": customer, "tax": tax, "total": str(total)}


if __name__ == "__main__":
    customer, amount = sys.argv[1:3] if len(sys.argv) > 2 else ("ACME", "100.00")
    print(run_workflow(Invoice, customer=customer, amount=amount))
