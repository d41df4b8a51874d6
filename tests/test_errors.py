"""The error tree drawn in ``flowwire.errors``'s docstring is the one the code builds, and the
messages name what was wrong and where."""

from __future__ import annotations

import copy
import importlib
import pickle
import re

import pytest

from flowwire import errors
from flowwire.errors import (
    ApplicationError,
    BackendError,
    Cancelled,
    ConfigurationError,
    DecodeError,
    EncodeError,
    FlowwireError,
    NondeterminismError,
    PayloadTooLarge,
    RegistrationError,
    StoreError,
    StoreOutage,
    StoreUnavailable,
    StoreWriteFailed,
    StoreWriteUnavailable,
    TaskError,
    TaskTimedOutError,
    TransportError,
    UnknownExecutionError,
    UnknownTaskError,
    UnknownTransportError,
)

#: The tree as DESIGN.md and the errors docstring agree on it: child -> flowwire parent.
EXPECTED_PARENTS: dict[type[Exception], type[Exception] | None] = {
    FlowwireError: None,
    ConfigurationError: FlowwireError,
    RegistrationError: ConfigurationError,
    UnknownTransportError: ConfigurationError,
    TransportError: FlowwireError,
    EncodeError: TransportError,
    DecodeError: TransportError,
    PayloadTooLarge: TransportError,
    ApplicationError: FlowwireError,
    TaskError: FlowwireError,
    TaskTimedOutError: TaskError,
    NondeterminismError: FlowwireError,
    UnknownTaskError: FlowwireError,
    UnknownExecutionError: FlowwireError,
    Cancelled: FlowwireError,
    BackendError: FlowwireError,
    StoreError: BackendError,
    StoreUnavailable: DecodeError,
    StoreOutage: TransportError,
    StoreWriteUnavailable: StoreOutage,
    StoreWriteFailed: TransportError,
}

#: second bases, which the drawing names in words (a store outage while reading is both)
EXTRA_BASES: dict[type[Exception], list[type[Exception]]] = {StoreUnavailable: [StoreOutage]}


def _drawn_tree() -> dict[str, str | None]:
    """Parse the box drawing in the module docstring: name -> parent name."""
    doc = errors.__doc__ or ""
    parents: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []
    for line in doc.splitlines():
        # the docstring indents the drawing by four spaces; each level adds "│   " or "    "
        match = re.match(r"^( {4})((?:[│ ]   )*)(?:[├└]── )?([A-Z][A-Za-z]+)(?:\s|$)", line)
        if not match or not match.group(3).endswith(
            ("Error", "Timedout", "TooLarge", "Unavailable", "Cancelled", "Outage", "Failed")
        ):
            continue
        depth = len(match.group(2)) // 4 + (1 if re.search(r"[├└]── ", line) else 0)
        name = match.group(3)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parents[name] = stack[-1][1] if stack else None
        stack.append((depth, name))
    return parents


def test_docstring_draws_every_public_error_with_its_parent() -> None:
    drawn = _drawn_tree()
    assert set(drawn) == set(errors.__all__), "docstring tree and __all__ disagree"
    for cls, parent in EXPECTED_PARENTS.items():
        assert drawn[cls.__name__] == (parent.__name__ if parent else None), cls.__name__


@pytest.mark.parametrize("cls", list(EXPECTED_PARENTS), ids=lambda c: c.__name__)
def test_code_matches_the_tree(cls: type[Exception]) -> None:
    parent = EXPECTED_PARENTS[cls]
    flowwire_bases = [b for b in cls.__bases__ if issubclass(b, FlowwireError)]
    if parent is None:
        assert cls.__bases__ == (Exception,)
    else:
        assert flowwire_bases == [parent, *EXTRA_BASES.get(cls, [])]
    assert getattr(errors, cls.__name__) is cls


def test_every_exported_name_is_in_the_tree() -> None:
    assert sorted(errors.__all__) == errors.__all__
    assert {getattr(errors, n) for n in errors.__all__} == set(EXPECTED_PARENTS)


def test_builtin_mixins_let_generic_handlers_catch_them() -> None:
    assert issubclass(EncodeError, TypeError)
    assert issubclass(DecodeError, ValueError)
    assert issubclass(UnknownTransportError, LookupError)
    assert issubclass(UnknownExecutionError, LookupError)
    assert not issubclass(PayloadTooLarge, (TypeError, ValueError))


def test_encode_error_names_the_path() -> None:
    exc = EncodeError("a set of dicts cannot be carried", path='$.args[0]["price"]')
    assert exc.path == '$.args[0]["price"]'
    assert exc.reason == "a set of dicts cannot be carried"
    assert str(exc) == 'a set of dicts cannot be carried (at $.args[0]["price"])'
    assert EncodeError("x").path == "$"


def test_decode_error_path_is_optional() -> None:
    assert str(DecodeError("envelope truncated")) == "envelope truncated"
    assert DecodeError("envelope truncated").path is None
    exc = DecodeError("expected integer, got str 'x'", path='$.kwargs["when"]')
    assert str(exc) == "expected integer, got str 'x' (at $.kwargs[\"when\"])"


def test_payload_too_large_message_has_size_limit_and_advice() -> None:
    exc = PayloadTooLarge(40_002, 32_768, what="result of activity 'resize' v1")
    assert (exc.size, exc.limit, exc.what) == (40_002, 32_768, "result of activity 'resize' v1")
    text = str(exc)
    assert text.startswith("result of activity 'resize' v1 is 40,002 characters")
    assert "limit of 32,768" in text
    assert "offload" in text.lower()
    assert str(PayloadTooLarge(5, 4)).startswith("payload is 5 characters")


def test_task_error_str_and_attributes() -> None:
    err = TaskError(
        "card declined",
        task="activity 'charge' v1 (charge-3)",
        type_name="PaymentError",
        traceback="Traceback ...",
        reason="PaymentError: card declined",
    )
    assert str(err) == "activity 'charge' v1 (charge-3) failed: PaymentError: card declined"
    assert str(TaskError("boom")) == "boom"
    assert str(TaskError("boom", type_name="KeyError")) == "KeyError: boom"
    assert err.message == "card declined" and err.traceback == "Traceback ..."


@pytest.mark.parametrize("cls", [TaskError, TaskTimedOutError])
def test_task_error_copies_keep_every_attribute(cls: type[TaskError]) -> None:
    err = cls(
        "m",
        task="t",
        type_name="T",
        traceback="tb",
        reason="r",
        attributes={"code": 7},
        non_retryable=True,
    )
    for twin in (copy.copy(err), copy.deepcopy(err)):
        assert type(twin) is cls
        assert (twin.attributes, twin.non_retryable) == ({"code": 7}, True)
        assert (twin.message, twin.task, twin.type_name, twin.traceback, twin.reason) == (
            "m",
            "t",
            "T",
            "tb",
            "r",
        )


@pytest.mark.parametrize("cls", [StoreWriteUnavailable, StoreWriteFailed])
def test_the_write_errors_keep_store_key_and_size_across_copies_and_pickle(
    cls: type[StoreWriteUnavailable | StoreWriteFailed],
) -> None:
    """Their keyword-only arguments defeat an exception's default ``__reduce__``, and what a
    worker process (runtime/workers.py's ProcessPoolExecutor) hands back arrives pickled."""
    err = cls("cannot offload result (5 bytes)", store="local", key="ab" * 32, size=5)
    for twin in (copy.copy(err), copy.deepcopy(err), pickle.loads(pickle.dumps(err))):
        assert type(twin) is cls
        assert (str(twin), twin.store, twin.key, twin.size) == (
            "cannot offload result (5 bytes)",
            "local",
            "ab" * 32,
            5,
        )


def test_application_error_keeps_its_attributes_and_flag() -> None:
    err = ApplicationError("card declined", non_retryable=True, code="card_declined")
    assert str(err) == "card declined" and err.message == "card declined"
    assert err.non_retryable is True
    assert err.code == "card_declined"  # type: ignore[attr-defined]
    assert ApplicationError("x").non_retryable is False


@pytest.mark.parametrize("module", ["flowwire", "flowwire.errors"])
def test_the_old_timeout_name_is_the_same_class_and_warns(module: str) -> None:
    with pytest.warns(DeprecationWarning, match=rf"{module}\.TaskTimedout is deprecated, use "):
        namespace: dict[str, object] = {}
        exec(f"from {module} import TaskTimedout", namespace)  # the way old code imports it
    assert namespace["TaskTimedout"] is TaskTimedOutError
    with pytest.warns(DeprecationWarning, match="TaskTimedOutError"):
        assert importlib.import_module(module).TaskTimedout is TaskTimedOutError
    assert "TaskTimedout" not in importlib.import_module(module).__all__


def test_an_unknown_error_name_is_still_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match=r"'flowwire\.errors' has no attribute 'TaskTimedOut'"):
        errors.TaskTimedOut  # type: ignore[attr-defined]  # noqa: B018


def test_a_retry_policy_matches_the_timeout_error_under_either_name() -> None:
    from flowwire import RetryPolicy

    for listed in ("TaskTimedout", "TaskTimedOutError", TaskTimedOutError):
        policy = RetryPolicy(non_retryable_errors=(listed,))
        assert policy.never_retries("TaskTimedOutError")
        assert policy.never_retries("TaskTimedout")  # a history written before the rename
        assert not policy.never_retries("TaskError")


def test_cancelled_is_not_a_task_error_and_keeps_its_fields() -> None:
    exc = Cancelled("order-17 was cancelled", workflow_id="order-17", details="customer")
    assert not isinstance(exc, TaskError)
    assert (str(exc), exc.workflow_id, exc.details) == (
        "order-17 was cancelled",
        "order-17",
        "customer",
    )
    assert str(Cancelled()) == "the execution was cancelled"
