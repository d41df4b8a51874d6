"""The documented module paths from before ``transport/`` had its ``codecs/`` and ``model/``
subpackages still import: the same module object, with a DeprecationWarning naming the new
path."""

from __future__ import annotations

import importlib
import re
import sys

import pytest

import flowwire.transport
from flowwire.transport._moved import MOVED


@pytest.mark.parametrize(("old", "new"), sorted(MOVED.items()))
def test_an_old_path_gives_the_module_at_its_new_path(
    old: str, new: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(sys.modules, old, raising=False)
    attribute = old.rpartition(".")[2]
    monkeypatch.delattr(flowwire.transport, attribute, raising=False)
    with pytest.warns(DeprecationWarning, match=re.escape(f"{old} moved to {new}")):
        module = importlib.import_module(old)
    assert module is importlib.import_module(new)
    assert module.__name__ == new
    assert module.__spec__ is not None and module.__spec__.name == new  # reload still works
    assert getattr(flowwire.transport, attribute) is module


def test_a_name_from_an_old_path_is_the_same_object() -> None:
    from flowwire.transport.codecs.msgpack import MsgpackCodec

    with pytest.warns(DeprecationWarning):
        sys.modules.pop("flowwire.transport.msgpack", None)
        from flowwire.transport.msgpack import MsgpackCodec as old

    assert old is MsgpackCodec


def test_other_missing_modules_are_still_missing() -> None:
    with pytest.raises(ModuleNotFoundError, match=re.escape("flowwire.transport.cbor")):
        importlib.import_module("flowwire.transport.cbor")
