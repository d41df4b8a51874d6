"""Schema evolution, both directions, in every codec: an older writer and a newer reader, and a
newer writer and an older reader (added, removed and renamed fields, enum members added), with
the unknown-field policy set per transport and per type."""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

import pytest

from flowwire import get_transport
from flowwire.errors import ConfigurationError, DecodeError
from flowwire.transport import builtin_codecs
from flowwire.transport.model.evolution import evolution, unknown_fields

CODECS = builtin_codecs()


@dataclasses.dataclass
class CustomerV1:
    name: str
    email: str


@dataclasses.dataclass
class CustomerV2:  # added a field with a default
    name: str
    email: str
    tier: str = "basic"


@dataclasses.dataclass
class CustomerV3:  # removed "email"
    name: str
    tier: str = "basic"


@evolution(renamed={"name": "full_name"})
@dataclasses.dataclass
class CustomerV4:  # renamed "name" to "full_name"
    full_name: str
    email: str


@dataclasses.dataclass
class CustomerRequired:  # added a field without a default: older payloads cannot fill it
    name: str
    email: str
    tier: str


@evolution(unknown="ignore")
@dataclasses.dataclass
class Tolerant:
    name: str


@evolution(unknown="refuse")
@dataclasses.dataclass
class Strict:
    name: str


def transport(codec: str, policy: str = "refuse") -> Any:
    return get_transport(codec, unknown_fields=policy)


def carry(codec: str, value: Any, hint: Any, policy: str = "refuse") -> Any:
    t = transport(codec, policy)
    return t.deserialize_result(t.serialize_result(value), type_hint=hint)


@pytest.mark.parametrize("codec", CODECS)
def test_old_writer_new_reader_gets_the_default_of_an_added_field(codec: str) -> None:
    assert carry(codec, CustomerV1("Ada", "a@x"), CustomerV2) == CustomerV2("Ada", "a@x")


@pytest.mark.parametrize("codec", CODECS)
def test_an_added_field_without_a_default_fails_older_payloads(codec: str) -> None:
    with pytest.raises(DecodeError, match="missing field"):
        carry(codec, CustomerV1("Ada", "a@x"), CustomerRequired)


@pytest.mark.parametrize("codec", CODECS)
def test_new_writer_old_reader_refuses_an_unknown_field_by_default(codec: str) -> None:
    with pytest.raises(DecodeError, match="unexpected field 'tier' for CustomerV1") as info:
        carry(codec, CustomerV2("Ada", "a@x", "gold"), list[CustomerV1] | CustomerV1)
    assert info.value.path == "$"


@pytest.mark.parametrize("codec", CODECS)
def test_new_writer_old_reader_ignores_unknown_fields_when_told(codec: str) -> None:
    got = carry(codec, [CustomerV2("Ada", "a@x", "gold")], list[CustomerV1], "ignore")
    assert got == [CustomerV1("Ada", "a@x")]
    assert unknown_fields(got[0]) == {}


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("relay", CODECS)
def test_kept_unknown_fields_survive_an_older_worker(codec: str, relay: str) -> None:
    """A newer writer, an older worker that passes the value on, a newer reader: the field the
    older worker did not know arrives intact, whichever codecs the hops use."""
    old = carry(codec, CustomerV2("Ada", "a@x", "gold"), CustomerV1, "keep")
    assert old == CustomerV1("Ada", "a@x")
    assert unknown_fields(old) == {"tier": "gold"}
    assert carry(relay, old, CustomerV2) == CustomerV2("Ada", "a@x", "gold")


@pytest.mark.parametrize("codec", CODECS)
def test_a_removed_field_follows_the_unknown_field_policy(codec: str) -> None:
    old = CustomerV2("Ada", "a@x", "gold")
    with pytest.raises(DecodeError, match="unexpected field 'email'"):
        carry(codec, old, CustomerV3)
    assert carry(codec, old, CustomerV3, "ignore") == CustomerV3("Ada", "gold")
    # ... and the other way: the newer writer lacks the field the older reader requires
    with pytest.raises(DecodeError, match="missing field"):
        carry(codec, CustomerV3("Ada"), CustomerV2)


@pytest.mark.parametrize("codec", CODECS)
def test_a_renamed_field_reads_the_old_name(codec: str) -> None:
    assert carry(codec, CustomerV1("Ada", "a@x"), CustomerV4) == CustomerV4("Ada", "a@x")
    assert carry(codec, CustomerV4("Ada", "a@x"), CustomerV4) == CustomerV4("Ada", "a@x")
    with pytest.raises(DecodeError, match="both 'name' and its new name 'full_name'"):
        carry(codec, {"name": "a", "full_name": "b", "email": "e"}, CustomerV4)


@pytest.mark.parametrize("codec", CODECS)
def test_the_types_policy_wins_over_the_transports(codec: str) -> None:
    extra = {"name": "a", "new": 1}
    assert carry(codec, extra, Tolerant) == Tolerant("a")
    with pytest.raises(DecodeError, match="unexpected field 'new'"):
        carry(codec, extra, Strict, "ignore")


@pytest.mark.parametrize("codec", CODECS)
def test_the_policy_applies_to_arguments(codec: str) -> None:
    def run(customer: CustomerV1, *, other: CustomerV1 | None = None) -> None: ...

    t = transport(codec, "keep")
    payload = t.serialize_arguments((CustomerV2("Ada", "a@x", "gold"),), {"other": None})
    (customer,), _ = t.deserialize_arguments(payload, signature=run)
    assert unknown_fields(customer) == {"tier": "gold"}
    with pytest.raises(DecodeError, match="unexpected field 'tier'") as info:
        transport(codec).deserialize_arguments(payload, signature=run)
    assert info.value.path == "$.args[0]"


class StatusV1(enum.Enum):
    PLACED = "placed"


class StatusV2(enum.Enum):
    PLACED = "placed"
    SHIPPED = "shipped"  # added


class StatusTolerant(enum.Enum):
    PLACED = "placed"
    UNKNOWN = "unknown"

    @classmethod
    def _missing_(cls, value: object) -> StatusTolerant:
        return cls.UNKNOWN


@pytest.mark.parametrize("codec", CODECS)
def test_an_added_enum_member(codec: str) -> None:
    assert carry(codec, StatusV1.PLACED, StatusV2) is StatusV2.PLACED  # old writer, new reader
    with pytest.raises(DecodeError, match="enum StatusV1"):
        carry(codec, StatusV2.SHIPPED, StatusV1)  # new writer, old reader
    assert carry(codec, StatusV2.SHIPPED, StatusTolerant) is StatusTolerant.UNKNOWN


def test_policies_are_checked() -> None:
    with pytest.raises(ConfigurationError, match="unknown-field policy 'drop'"):
        get_transport("json", unknown_fields="drop")
    with pytest.raises(ConfigurationError, match="unknown-field policy"):
        evolution(unknown="drop")
    with pytest.raises(ConfigurationError, match="renamed 'a' to 'zzz', which is not a field"):

        @evolution(renamed={"a": "zzz"})
        @dataclasses.dataclass
        class Wrong:
            b: int

        get_transport("json").deserialize_result('{"b": 1}', type_hint=Wrong)


def test_keep_needs_weak_references() -> None:
    @dataclasses.dataclass(slots=True)
    class Slotted:
        a: int

    with pytest.raises(DecodeError, match="cannot be kept"):
        carry("msgpack", {"a": 1, "b": 2}, Slotted, "keep")
