"""A rolling deploy of a changed dataclass, step by step (see docs/transport/evolution.md).

Version 1 of ``Shipment`` has ``address``; version 2 adds ``priority`` (with a default) and
renames ``address`` to ``destination``. During the deploy both versions run at once: payloads
written by one are read by the other, in both directions, and histories written before the
deploy are replayed by the new code. Run it::

    python examples/rolling_deploy.py
"""

from __future__ import annotations

from dataclasses import dataclass

from flowwire import DecodeError, evolution, get_transport, unknown_fields


@dataclass
class ShipmentV1:  # the code before the deploy
    id: str
    address: str


@evolution(renamed={"address": "destination"})
@dataclass
class ShipmentV2:  # the code after it: a field added with a default, a field renamed
    id: str
    destination: str
    priority: str = "normal"


@evolution(renamed={"destination": "address"})
@dataclass
class ShipmentV1b:  # step one of a two-step deploy: still writes "address", reads both names
    id: str
    address: str


def main() -> None:
    strict = get_transport("msgpack")  # unknown fields: "refuse", the default
    keeping = get_transport("msgpack", unknown_fields="keep")

    # 1. A new worker reads what an old one wrote (and replays old histories): the renamed
    #    field is read under its old name, the added one gets its default.
    old_payload = strict.serialize_result(ShipmentV1("s-1", "12 Main Street"))
    print("v1 -> v2:", strict.deserialize_result(old_payload, type_hint=ShipmentV2))

    # 2. An old worker reads what a new one wrote. Refusing is the safe default ...
    new_payload = strict.serialize_result(ShipmentV2("s-2", "3 Quay Road", "express"))
    try:
        strict.deserialize_result(new_payload, type_hint=ShipmentV1)
    except DecodeError as exc:
        print("v2 -> v1, refuse:", exc)

    # 3. ... which a v1 reader cannot get past here: "destination" is new to it and "address",
    #    which it requires, is missing. Deploy in two steps instead: first code that reads both
    #    names (ShipmentV1b), then code that writes the new one. With unknown_fields="keep" an
    #    older worker also passes fields it does not know on, intact:
    relayed = keeping.deserialize_result(new_payload, type_hint=ShipmentV1b)
    print("v2 -> v1b, keep:", relayed, "kept:", unknown_fields(relayed))
    passed_on = keeping.serialize_result(relayed)  # the old worker sends it to the next task
    print("v1b -> v2:", keeping.deserialize_result(passed_on, type_hint=ShipmentV2))


if __name__ == "__main__":
    main()
