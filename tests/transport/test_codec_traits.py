"""Codec traits and the registration of the built-in codecs.

The built-ins are registered as a plugin's codecs are (a name and ``module:attribute``
references, imported on first use); each declares its traits, and the traits are checked
against what the codec does, so the strategies, tests and benchmarks that read them are
told the truth. A transport finds a payload's other codec and unconfigured stages through
the ``decoders`` it is given.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from flowwire import get_transport
from flowwire.errors import DecodeError, EncodeError, RegistrationError
from flowwire.testing.strategies import EXTENDED_TYPES
from flowwire.transport import (
    ArgumentsCodec,
    Codec,
    CodecTraits,
    CodecTransport,
    JSONTransport,
    MsgpackCodec,
    MsgpackTransport,
    Stage,
    StageContext,
    TextCodec,
    builtin_codecs,
    codec_traits,
    codecs,
    registry,
    traits_of,
)

#: One value of each extended type a codec may carry natively.
SAMPLES: dict[type, Any] = {
    tuple: (1, "a"),
    set: {1, 2},
    frozenset: frozenset({"x"}),
    datetime: datetime(2024, 5, 1, 12, 30, tzinfo=UTC),
    date: date(2024, 5, 1),
    time: time(12, 30, 1),
    timedelta: timedelta(days=2, microseconds=5),
    UUID: UUID(int=7),
    Decimal: Decimal("1.50"),
}


@pytest.fixture(autouse=True)
def clean_registry() -> Iterator[None]:
    registry._ensure_loaded()
    tables = {
        name: value
        for name, value in vars(registry).items()
        if name.startswith("_") and not name.startswith("__") and type(value) in (dict, set)
    }
    saved = {name: value.copy() for name, value in tables.items()}
    yield
    for name, table in tables.items():
        table.clear()
        table.update(saved[name])


# -- the built-ins are registered as a plugin is ----------------------------------------------


def test_the_builtins_are_the_lines_of_the_codecs_package() -> None:
    assert builtin_codecs() == [name for name, _, _ in codecs.BUILTINS]
    assert set(builtin_codecs()) == {"json", "msgpack", "protobuf"}
    for name, codec, transport in codecs.BUILTINS:
        # stored as the references a plugin's entry point holds, not as imported classes
        assert registry._codecs[name] == registry.Reference(codec)
        assert registry._transports[name] == registry.Reference(transport)


def test_listing_the_builtins_imports_no_codec() -> None:
    script = textwrap.dedent(
        """
        import sys
        from flowwire.transport import registry
        assert registry.builtin_codecs() == ["json", "msgpack", "protobuf"]
        assert registry.available_codecs()
        loaded = [m for m in sys.modules if m.startswith("flowwire.transport.codecs.")]
        assert "flowwire.transport.codecs.protobuf" not in loaded, loaded
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)


def test_a_codec_registered_by_reference_is_imported_when_used(tmp_path: Any) -> None:
    (tmp_path / "fw_ref_codec.py").write_text(
        textwrap.dedent(
            """
            import json

            class RefCodec:
                name = "ref-test"

                def __init__(self, *, max_depth=100):
                    self.max_depth = max_depth

                def encode(self, value):
                    return json.dumps(value).encode()

                def decode(self, data):
                    return json.loads(data)
            """
        )
    )
    sys.path.insert(0, str(tmp_path))
    try:
        registry.register_codec("ref-test", "fw_ref_codec:RefCodec")
        assert "fw_ref_codec" not in sys.modules
        transport = get_transport("ref-test")
        assert "fw_ref_codec" in sys.modules
        assert isinstance(transport, CodecTransport)
        assert transport.deserialize_result(transport.serialize_result([1, "a"])) == [1, "a"]
        registry.register_codec("ref-test", "fw_ref_codec:RefCodec")  # the same: harmless
        with pytest.raises(RegistrationError, match="already registered"):
            registry.register_codec("ref-test", "fw_ref_codec:Other")
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("fw_ref_codec", None)


def test_a_codec_registers_its_transport_in_the_same_call() -> None:
    class Tagged(JSONTransport):
        pass

    registry.register_codec("tagged-test", MsgpackCodec, transport=Tagged)
    assert type(get_transport("tagged-test")) is Tagged
    assert registry.get_codec("tagged-test").name == "msgpack"


@pytest.mark.parametrize("reference", ["no-colon", ":Codec", "module:"])
def test_a_malformed_reference_is_refused(reference: str) -> None:
    with pytest.raises(RegistrationError, match="module:attribute"):
        registry.register_codec("bad-ref-test", reference)


# -- the traits tell the truth ----------------------------------------------------------------


@pytest.mark.parametrize("name", builtin_codecs())
def test_native_types_come_back_without_annotations(name: str) -> None:
    transport = get_transport(name, max_payload_chars=None)
    traits = codec_traits(name)
    for cls, value in SAMPLES.items():
        back = transport.deserialize_result(transport.serialize_result(value))
        if cls in traits.native:
            assert type(back) is cls and back == value, f"{name}: {value!r} -> {back!r}"
        else:
            assert type(back) is not cls, f"{name} carries {cls.__name__}: declare it native"


@pytest.mark.parametrize("name", builtin_codecs())
def test_text_codecs_write_plain_text_and_binary_ones_envelopes(name: str) -> None:
    traits = codec_traits(name)
    transport = get_transport(name)
    payload = transport.serialize_result({"a": [1, "x"]})
    assert traits.binary is not traits.text
    assert payload.startswith("~") is traits.binary
    assert isinstance(transport.codec, TextCodec) is traits.text  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", builtin_codecs())
def test_declared_capabilities_are_implemented(name: str) -> None:
    codec = registry.get_codec(name)
    traits = traits_of(codec)
    assert traits is type(codec).traits  # type: ignore[attr-defined]
    assert isinstance(codec, Codec)
    assert isinstance(codec, ArgumentsCodec) is traits.arguments


def test_filters_read_the_traits() -> None:
    assert builtin_codecs(text=True) == ["json"]
    assert builtin_codecs(text=False) == ["msgpack", "protobuf"]
    assert builtin_codecs(native=[Decimal, tuple]) == ["msgpack", "protobuf"]
    assert builtin_codecs(native=list(EXTENDED_TYPES)) == ["msgpack", "protobuf"]
    assert builtin_codecs(text=True, native=[tuple]) == []


def test_a_codec_without_traits_shows_them_by_its_methods() -> None:
    class Plain:
        name = "plain-test"

        def encode(self, value: Any) -> bytes:
            return b""

        def decode(self, data: bytes) -> Any:
            return None

    class WithArguments(Plain):
        def encode_arguments(self, args: list[Any], kwargs: dict[str, Any]) -> bytes:
            return b""

        def decode_arguments(self, data: bytes) -> tuple[list[Any], dict[str, Any]]:
            return [], {}

    assert traits_of(Plain()) == CodecTraits()
    assert traits_of(WithArguments()) == CodecTraits(arguments=True)
    assert traits_of(WithArguments).arguments  # the class as well as an instance


# -- an ArgumentsCodec of one's own is used for arguments ---------------------------------------


class PairCodec:
    """Arguments as ``repr`` of a pair, to see that the transport calls the capability."""

    name = "pair-test"
    traits = CodecTraits(arguments=True)

    def __init__(self) -> None:
        self.inner = MsgpackCodec()
        self.calls: list[str] = []

    def encode(self, value: Any) -> bytes:
        return self.inner.encode(value)

    def decode(self, data: bytes) -> Any:
        return self.inner.decode(data)

    def encode_arguments(self, args: list[Any], kwargs: dict[str, Any]) -> bytes:
        self.calls.append("encode_arguments")
        return self.inner.encode([args, kwargs])

    def decode_arguments(self, data: bytes) -> tuple[list[Any], dict[str, Any]]:
        self.calls.append("decode_arguments")
        args, kwargs = self.inner.decode(data)
        return args, kwargs


def test_the_arguments_capability_is_used_when_declared() -> None:
    codec = PairCodec()
    transport = CodecTransport(codec)
    payload = transport.serialize_arguments((1, "a"), {"k": [2]})
    assert transport.deserialize_arguments(payload) == ((1, "a"), {"k": [2]})
    assert codec.calls == ["encode_arguments", "decode_arguments"]


# -- the decoders a transport is given --------------------------------------------------------


class Reverse:
    name = "reverse-test"
    redacts = False

    def encode(self, data: bytes, ctx: StageContext) -> tuple[bytes, bytes]:
        return data[::-1], b""

    def decode(self, data: bytes, params: bytes, ctx: StageContext) -> bytes:
        return data[::-1]


class Given:
    """Decoders that know one codec and one stage, neither of them registered."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def codec(self, name: str, *, max_depth: int) -> Codec:
        self.asked.append(f"codec {name}")
        if name == "pair-test":
            return PairCodec()
        raise LookupError(f"no codec {name!r} here")

    def stage(self, name: str) -> Stage | None:
        self.asked.append(f"stage {name}")
        return Reverse() if name == "reverse-test" else None


def test_a_transport_reads_foreign_codecs_and_stages_through_its_decoders() -> None:
    writer = CodecTransport(PairCodec(), stages=[Reverse()])
    payload = writer.serialize_result({"a": 1})
    decoders = Given()
    reader = JSONTransport(accept={"json", "pair-test"}, decoders=decoders)
    assert reader.deserialize_result(payload) == {"a": 1}
    assert reader.deserialize_arguments(writer.serialize_arguments((1,), {})) == ((1,), {})
    assert decoders.asked == ["codec pair-test", "stage reverse-test", "stage reverse-test"]
    with pytest.raises(DecodeError, match="'pair-test' is not installed here"):
        JSONTransport(accept={"json", "pair-test"}).deserialize_result(payload)  # the registry


def test_what_the_decoders_lack_is_a_decode_error() -> None:
    payload = CodecTransport(MsgpackCodec(), stages=[Reverse()]).serialize_result(1)
    with pytest.raises(DecodeError, match="needs stage 'reverse-test'"):
        MsgpackTransport(decoders=_Nothing()).deserialize_result(payload)
    plain_msgpack = get_transport("msgpack").serialize_result(1)
    with pytest.raises(DecodeError, match="'msgpack' is not installed here"):
        JSONTransport(decoders=_Nothing()).deserialize_result(plain_msgpack)


class _Nothing:
    def codec(self, name: str, *, max_depth: int) -> Codec:
        raise LookupError("nothing here")

    def stage(self, name: str) -> Stage | None:
        return None


def test_the_default_decoders_are_the_registry() -> None:
    assert JSONTransport().decoders is registry.DECODERS
    with pytest.raises(EncodeError):  # the traits change nothing of the value model
        get_transport("json").serialize_result(object())
