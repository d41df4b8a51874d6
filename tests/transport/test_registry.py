"""The name registry: built-ins, "did you mean", duplicates, runtime registration and the
``flowwire.codecs`` entry-point group (discovered from a real dist-info on ``sys.path``)."""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _extras import reason

pytest.importorskip("cbor2", reason=reason("cbor2"))

import cbor2

from flowwire import get_transport
from flowwire.errors import (
    ConfigurationError,
    DecodeError,
    EncodeError,
    RegistrationError,
    UnknownTransportError,
)
from flowwire.transport import (
    CodecTransport,
    JSONTransport,
    MsgpackTransport,
    StageContext,
    registry,
)


class CBORCodec:
    """A real third-party style codec: CBOR through cbor2 for the base model."""

    def __init__(self, *, max_depth: int = 100, name: str = "cbor-test") -> None:
        self.name = name
        self.max_depth = max_depth

    def encode(self, value: Any) -> bytes:
        try:
            return cbor2.dumps(value)
        except (cbor2.CBOREncodeError, TypeError, ValueError) as exc:
            raise EncodeError(f"cannot encode as CBOR: {exc}") from exc

    def decode(self, data: bytes) -> Any:
        try:
            return cbor2.loads(data)
        except (cbor2.CBORDecodeError, ValueError, EOFError) as exc:
            raise DecodeError(f"malformed CBOR: {exc}") from exc


class Reverse:
    name = "reverse"
    redacts = False

    def encode(self, data: bytes, ctx: StageContext) -> tuple[bytes, bytes]:
        return data[::-1], b""

    def decode(self, data: bytes, params: bytes, ctx: StageContext) -> bytes:
        return data[::-1]


@pytest.fixture(autouse=True)
def clean_registry() -> Iterator[None]:
    """Every test sees the registry as it was, and leaves it that way: each private table of
    the module (dicts and sets, whatever their names) is copied before and restored after."""
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


# -- built-ins -------------------------------------------------------------------------------


def test_builtin_json_and_msgpack() -> None:
    assert type(get_transport("json")) is JSONTransport
    assert type(get_transport("msgpack")) is MsgpackTransport
    assert {"json", "msgpack", "protobuf"} <= set(registry.available_transports())
    assert {"json", "msgpack", "protobuf"} <= set(registry.available_codecs())


def test_builtin_protobuf() -> None:
    from flowwire.transport.codecs.protobuf import ProtobufTransport

    assert type(get_transport("protobuf")) is ProtobufTransport


def test_each_call_builds_a_new_transport_with_options() -> None:
    a = get_transport("json", max_payload_chars=None)
    b = get_transport("json")
    assert a is not b
    assert a.max_payload_chars is None and b.max_payload_chars == 32_768  # type: ignore[attr-defined]


def test_codecs_by_name() -> None:
    assert registry.get_codec("msgpack").name == "msgpack"
    assert registry.get_codec("json", max_depth=7).max_depth == 7  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("typo", "suggestion"),
    [("jsno", "json"), ("msgpak", "msgpack"), ("Msgpack", "msgpack"), ("protobuff", "protobuf")],
)
def test_did_you_mean(typo: str, suggestion: str) -> None:
    with pytest.raises(UnknownTransportError) as info:
        get_transport(typo)
    assert f"did you mean {suggestion!r}?" in str(info.value)
    assert isinstance(info.value, LookupError) and isinstance(info.value, ConfigurationError)
    with pytest.raises(UnknownTransportError, match=f"did you mean {suggestion!r}"):
        registry.get_codec(typo)


def test_unknown_name_lists_the_registered_ones() -> None:
    with pytest.raises(UnknownTransportError) as info:
        get_transport("zzzzzz")
    message = str(info.value)
    assert "did you mean" not in message
    assert "json, msgpack, protobuf" in message


def test_non_string_name_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="must be a string"):
        get_transport(42)  # type: ignore[arg-type]


# -- registration ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "register",
    [registry.register_codec, registry.register_transport, registry.register_stage],
)
def test_duplicates_are_rejected(register: Any) -> None:
    register("dup-test", lambda **_: None)
    with pytest.raises(RegistrationError) as info:
        register("dup-test", lambda **_: None)
    assert "'dup-test' is already registered" in str(info.value)
    assert "replace=True" in str(info.value)


def test_builtin_names_are_protected() -> None:
    with pytest.raises(RegistrationError):
        registry.register_codec("json", CBORCodec)
    with pytest.raises(RegistrationError):
        registry.register_transport("msgpack", JSONTransport)
    assert type(get_transport("msgpack")) is MsgpackTransport


def test_registering_the_same_factory_twice_is_harmless() -> None:
    registry.register_codec("cbor-test", CBORCodec)
    registry.register_codec("cbor-test", CBORCodec)


def test_replace_true_overrides_on_purpose() -> None:
    registry.register_transport("json", MsgpackTransport, replace=True)
    assert type(get_transport("json")) is MsgpackTransport


@pytest.mark.parametrize(("name", "factory"), [("", CBORCodec), (None, CBORCodec), ("x", 42)])
def test_bad_registrations(name: Any, factory: Any) -> None:
    with pytest.raises(RegistrationError):
        registry.register_codec(name, factory)


def test_runtime_codec_becomes_a_transport() -> None:
    registry.register_codec("cbor-test", CBORCodec)
    assert "cbor-test" in registry.available_transports()
    t = get_transport("cbor-test")
    assert isinstance(t, CodecTransport) and t.codec.name == "cbor-test"
    value = {"a": [1, "x", b"y", None, 2.5]}
    payload = t.serialize_result(value)
    assert payload.startswith("~")
    assert t.deserialize_result(payload) == value
    assert t.deserialize_arguments(t.serialize_arguments((1,), {"k": b"v"})) == ((1,), {"k": b"v"})
    # Receivers decode it when they accept the codec, and refuse it by default.
    assert JSONTransport(accept={"json", "cbor-test"}).deserialize_result(payload) == value
    with pytest.raises(DecodeError, match="'cbor-test' is not accepted"):
        JSONTransport().deserialize_result(payload)


def test_runtime_stage_by_name_and_did_you_mean() -> None:
    registry.register_stage("reverse", Reverse)
    t = get_transport("msgpack+reverse")
    assert [s.name for s in t.stages] == ["reverse"]  # type: ignore[attr-defined]
    assert t.deserialize_result(t.serialize_result([1, 2])) == [1, 2]
    with pytest.raises(DecodeError, match="'reverse'"):
        MsgpackTransport().deserialize_result(t.serialize_result([1, 2]))
    with pytest.raises(UnknownTransportError, match="did you mean 'reverse'"):
        get_transport("msgpack+revers")


def test_stage_that_decodes_unconfigured() -> None:
    registry.register_stage("reverse", Reverse, decodes_unconfigured=True)
    payload = get_transport("json+reverse").serialize_result({"a": 1})
    assert MsgpackTransport().deserialize_result(payload) == {"a": 1}


# -- entry points ----------------------------------------------------------------------------

PLUGIN = textwrap.dedent(
    """
    import cbor2
    from flowwire.errors import DecodeError


    class PluginCodec:
        name = "fwplugin"

        def __init__(self, *, max_depth: int = 100) -> None:
            self.max_depth = max_depth

        def encode(self, value):
            return cbor2.dumps(value)

        def decode(self, data):
            try:
                return cbor2.loads(data)
            except Exception as exc:
                raise DecodeError(f"malformed CBOR: {exc}") from exc
    """
)


def install_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entries: str) -> None:
    """Write a real distribution (module + dist-info) and put it on sys.path."""
    (tmp_path / "fw_plugin_mod.py").write_text(PLUGIN)
    info = tmp_path / "fw_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fw-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[flowwire.codecs]\n{entries}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    monkeypatch.delitem(sys.modules, "fw_plugin_mod", raising=False)
    registry._state["entry_points"] = False  # discover again, as a fresh process would


def test_entry_point_codec_is_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install_plugin(tmp_path, monkeypatch, "fwplugin = fw_plugin_mod:PluginCodec")
    assert "fwplugin" in registry.available_codecs()
    t = get_transport("fwplugin")
    assert isinstance(t, CodecTransport) and type(t.codec).__name__ == "PluginCodec"
    assert t.deserialize_result(t.serialize_result([1, "a"])) == [1, "a"]


def test_entry_point_clashing_with_a_builtin_is_ignored_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One bad package must not break flowwire: the built-in keeps its name, the clash is said.
    install_plugin(tmp_path, monkeypatch, "json = fw_plugin_mod:PluginCodec")
    assert type(get_transport("json")).__name__ == "JSONTransport"
    with pytest.warns(RuntimeWarning, match="'json'"):
        registry.available_transports()
    assert type(get_transport("json")).__name__ == "JSONTransport"


def test_entry_points_are_not_loaded_for_builtin_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_plugin(tmp_path, monkeypatch, "fwbroken = fw_plugin_mod:NoSuchCodec")
    get_transport("msgpack")
    assert registry._state["entry_points"] is False


def test_broken_entry_point_is_reported_by_get_transport(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_plugin(tmp_path, monkeypatch, "fwbroken = fw_plugin_mod:NoSuchCodec")
    with pytest.raises(ConfigurationError, match="fw_plugin_mod:NoSuchCodec"):
        get_transport("fwbroken")
    assert "fwbroken" in registry.broken_codecs()


def test_broken_entry_point_is_reported_every_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_plugin(tmp_path, monkeypatch, "fwbroken = fw_plugin_mod:NoSuchCodec")
    for _ in range(2):
        with pytest.raises(ConfigurationError) as info:
            registry.get_codec("fwbroken")
        assert "fwbroken" in str(info.value) and "fw_plugin_mod:NoSuchCodec" in str(info.value)
