"""What a payload string holds: its envelope and its value (``flowwire decode``).

:func:`inspect_payload` reads a payload the way a transport does and reports what it found:

* the **envelope**: the form (plain JSON text, or an envelope in base64 or latin-1 armor), the
  codec, and each stage in the order it was applied with what its header entry says: the
  uncompressed size of a ``zstd`` frame, the key id of an ``aesgcm`` ciphertext, the store,
  object key and size of an ``offload`` reference; sizes of the payload and of the body;
* the **value**, decoded by a :class:`~flowwire.transport.CodecTransport` for the payload's
  codec configured with the keyring and stores you pass. A payload the transport refuses is
  reported with the transport's own :class:`~flowwire.DecodeError` message (a missing key
  names its key id, a missing store its name, a tampered payload says so); the envelope part
  is still reported as far as it could be read.

Keys never come from the command line: :func:`load_keyring` reads a JSON keyring from an
environment variable or a file. :func:`history_payloads` lists the payload fields of a history
as Amazon SWF's ``GetWorkflowExecutionHistory`` returns it.
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flowwire.errors import ConfigurationError, DecodeError, FlowwireError
from flowwire.transport import envelope
from flowwire.transport._protocols import Stage, StageContext
from flowwire.transport._transport import CodecTransport, split_arguments
from flowwire.transport.stages.stores import BlobStore

__all__ = [
    "KINDS",
    "PayloadReport",
    "StageReport",
    "history_payloads",
    "inspect_payload",
    "load_keyring",
    "reader_transport",
]

#: The kinds a payload may be decoded as; ``auto`` reads the value and shows an object of
#: exactly ``args`` and ``kwargs`` as arguments.
KINDS = ("auto", "arguments", "result")

_CONTEXT = StageContext(limit=2**62, armored_size=lambda size: size, what="payload")


@dataclass
class StageReport:
    """One stage of an envelope, as its header entry describes it."""

    name: str
    params_size: int
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "params_bytes": self.params_size, **self.details}


@dataclass
class PayloadReport:
    """What :func:`inspect_payload` found; ``error`` is set when the value could not be read
    (``value`` is then ``None``), ``kind`` is ``arguments`` or ``result``."""

    chars: int
    form: str
    codec: str | None = None
    stages: list[StageReport] = field(default_factory=list)
    envelope_bytes: int | None = None
    body_bytes: int | None = None
    kind: str | None = None
    value: Any = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (the value itself is left to the caller)."""
        out: dict[str, Any] = {"chars": self.chars, "form": self.form, "codec": self.codec}
        out["stages"] = [s.to_dict() for s in self.stages]
        out["envelope_bytes"] = self.envelope_bytes
        out["body_bytes"] = self.body_bytes
        out["kind"] = self.kind
        if self.error is not None:
            out["error"] = self.error
        return out


# Each describer gets a stage's params and the size of its output (the bytes the next stage,
# or the envelope body, holds) and returns what the header says plus the size of its input.


def _zstd(params: bytes, size: int) -> tuple[dict[str, Any], int]:
    if len(params) != 8:
        return {"problem": f"zstd params must be 8 bytes, got {len(params)}"}, size
    (uncompressed,) = struct.unpack(">Q", params)
    return {"compressed_bytes": size, "uncompressed_bytes": uncompressed}, uncompressed


def _aesgcm(params: bytes, size: int) -> tuple[dict[str, Any], int]:
    from flowwire.transport.stages.encryption import _TAG_SIZE, _parse_params

    try:
        key_id, _check, _nonce = _parse_params(params, _CONTEXT)
    except DecodeError as exc:
        return {"problem": str(exc)}, size
    return {"key_id": key_id, "ciphertext_bytes": size}, max(0, size - _TAG_SIZE)


def _offload(params: bytes, size: int) -> tuple[dict[str, Any], int]:
    from flowwire.transport.stages.offload import OffloadReference

    try:
        ref = OffloadReference.from_params(params, _CONTEXT)
    except DecodeError as exc:
        return {"problem": str(exc)}, size
    return {"store": ref.store, "key": ref.key, "object_bytes": ref.size}, ref.size


_DESCRIBE = {"zstd": _zstd, "aesgcm": _aesgcm, "offload": _offload}


def _envelope(report: PayloadReport, payload: str) -> None:
    """Fill the envelope part of ``report``; raises DecodeError as a transport would."""
    first = payload[:1]
    if not payload:
        raise DecodeError("payload is empty")
    if first in envelope.JSON_START:
        report.form, report.codec = "plain JSON text", "json"
        return
    if first not in (envelope.ARMOR_PREFIX, envelope.LATIN1_PREFIX):
        raise DecodeError(
            f"payload starts with {first!r}: neither '~' nor 'F' (an armored envelope) nor "
            "the start of a JSON text"
        )
    report.form = "base64 armor" if first == "~" else "latin-1 armor"
    data = envelope.dearmor(payload)
    report.envelope_bytes = len(data)
    parsed = envelope.unpack(data)
    report.codec = parsed.codec
    report.body_bytes = len(parsed.body)
    size = len(parsed.body)
    for name, params in reversed(parsed.stages):  # sizes are known from the outside in
        describe = _DESCRIBE.get(name)
        if describe is None:
            details: dict[str, Any] = {"problem": "a stage this flowwire does not know"}
        else:
            details, size = describe(params, size)
        report.stages.insert(0, StageReport(name, len(params), details))


def reader_transport(
    codec: str, *, keyring: Any = None, stores: Sequence[BlobStore] = ()
) -> CodecTransport:
    """A transport that reads payloads of ``codec`` with the given keyring (an
    :class:`~flowwire.transport.stages.Keyring`) and offload stores. Without them, a payload
    that needs them is refused naming the key id or store, as any transport refuses it. With
    a keyring it reads unencrypted payloads too (``require_encryption=False``): an operator
    inspects whatever a history holds, and sees from the stages reported which were encrypted.

    Raises:
        UnknownTransportError: ``codec`` is not registered.
        ConfigurationError: the keyring needs the ``crypto`` extra, or two stores share a name.
    """
    from flowwire.transport import registry
    from flowwire.transport.stages import AESGCM, Offload

    stages: list[Stage] = []
    if keyring is not None:
        stages.append(AESGCM(keyring))
    if stores:
        stages.append(Offload(stores[0], also_read=stores[1:]))
    return CodecTransport(
        registry.get_codec(codec),
        stages=stages,
        accept={codec},
        max_payload_chars=None,
        require_encryption=False,
    )


def inspect_payload(
    payload: str,
    *,
    keyring: Any = None,
    stores: Sequence[BlobStore] = (),
    kind: str = "auto",
    type_hint: Any = Any,
    signature: Any = None,
) -> PayloadReport:
    """Read ``payload`` (see the module docstring). ``kind``: one of :data:`KINDS`;
    ``type_hint`` rebuilds a result's type, ``signature`` (a ``run`` function) the arguments'.
    Never raises for a bad payload: the report's ``error`` says what the transport said."""
    if kind not in KINDS:
        raise ConfigurationError(f"unknown payload kind {kind!r}; choose one of {KINDS}")
    report = PayloadReport(chars=len(payload), form="unreadable")
    try:
        _envelope(report, payload)
        assert report.codec is not None
        try:
            transport = reader_transport(report.codec, keyring=keyring, stores=stores)
        except LookupError as exc:
            message = f"payload codec {report.codec!r} is not installed here: {exc}"
            raise DecodeError(message) from None
        if kind == "auto":  # read as the transport reads any payload, then look at its shape
            value = transport._decode_body(*transport._open(payload, "payload"))
            try:
                split_arguments(value)
                kind = "arguments"
            except DecodeError:
                kind = "result"
        report.kind = kind
        if kind == "arguments":
            args, kwargs = transport.deserialize_arguments(payload, signature=signature)
            report.value = {"args": list(args), "kwargs": kwargs}
        else:
            report.value = transport.deserialize_result(payload, type_hint=type_hint)
    except FlowwireError as exc:
        report.error = f"{type(exc).__name__}: {exc}"
        report.value = None
    return report


def load_keyring(text: str, source: str) -> Any:
    """A :class:`~flowwire.transport.stages.Keyring` from JSON ``text`` read from ``source``
    (named in errors; key material never is).

    Accepted forms: ``{"keys": {"<key id>": "<base64 of 32 bytes>", ...}, "current": "<id>"}``
    or the bare ``{"<key id>": "<base64>", ...}`` mapping (for reading, the current key does
    not matter; the last id in sorted order is taken).

    Raises:
        ConfigurationError: the text is not such a JSON object, a key is not base64 of 32
            bytes, or the ``crypto`` extra is missing.
    """
    from flowwire.transport.stages import Keyring

    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConfigurationError(f"keyring in {source} is not JSON: {exc.args[0]}") from None
    keys = data.get("keys", data) if isinstance(data, dict) else None
    if not isinstance(keys, dict) or not keys:
        raise ConfigurationError(
            f'keyring in {source} must be a JSON object {{"keys": {{"<id>": "<base64 key>"}}, '
            '"current": "<id>"}, or {"<id>": "<base64 key>"}'
        )
    decoded: dict[str, bytes] = {}
    for key_id, value in keys.items():
        if not isinstance(value, str):
            raise ConfigurationError(f"keyring in {source}: key {key_id!r} is not a string")
        try:
            decoded[key_id] = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ConfigurationError(
                f"keyring in {source}: key {key_id!r} is not valid base64"
            ) from None
    current = data.get("current") if "keys" in data else None
    return Keyring(decoded, current=current if isinstance(current, str) else max(decoded))


def history_payloads(
    history: Mapping[str, Any] | Iterable[Mapping[str, Any]],
) -> Iterator[tuple[int, str, str, str]]:
    """``(event id, event type, field, payload)`` for every payload string of an SWF history:
    the document ``GetWorkflowExecutionHistory`` returns (``{"events": [...]}``) or its event
    list. ``input``, ``result`` and ``details`` fields are payloads; a failure ``reason`` is a
    summary and is not listed. Raises ``ValueError`` for something that is not a history."""
    events = history.get("events") if isinstance(history, Mapping) else history
    if not isinstance(events, list):
        raise ValueError('expected a history: an object with an "events" array, or an array')
    for position, event in enumerate(events, 1):
        if not isinstance(event, Mapping) or not isinstance(event.get("eventType"), str):
            raise ValueError(f"history event {position} has no eventType")
        event_type = event["eventType"]
        attributes = event.get(event_type[0].lower() + event_type[1:] + "EventAttributes")
        if not isinstance(attributes, Mapping):
            continue
        for name in ("input", "result", "details"):
            value = attributes.get(name)
            if isinstance(value, str) and value:
                yield int(event.get("eventId", position)), event_type, name, value
