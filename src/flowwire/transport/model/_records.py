"""Compiled plans of record classes (dataclasses, attrs, pydantic, msgspec, user records).

A record's decode plan is two functions compiled from its fields once:

* the *checked* converter ``(value, path) -> instance`` that applies the schema-evolution
  rules (:mod:`flowwire.transport.model.evolution`) and names the path of any problem;
* the *fast* plan ``(value) -> instance``, generated as Python source for the class, that
  handles the common case (every required field present, no unknown or renamed field) with
  inline type checks and no path text, and raises :data:`RETRY` for anything else. The
  caller then runs the checked converter, which decides: the fast plan never rejects a value
  on its own.

The lowering function (encode) is generated the same way: ``{"a": obj.a, ...}`` plus the
fields kept by the ``"keep"`` policy.
"""

from __future__ import annotations

import keyword
import weakref
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flowwire.errors import ConfigurationError, DecodeError
from flowwire.transport.model import _model, evolution
from flowwire.transport.model._converters import (
    Converter,
    fail,
    gone,
    to_decimal,
    to_float,
    to_int,
)
from flowwire.transport.model._fast import MODE_RECORD, RETRY, c_plan, fast_call, set_fast
from flowwire.transport.model.adapters import MISSING

if TYPE_CHECKING:
    from flowwire.transport.model.adapters import RecordAdapter, RecordField

__all__ = ["compile_record", "record_lowerer"]


def _fields(cls: type, adapter: RecordAdapter) -> list[RecordField]:
    try:
        return list(adapter.fields(cls))
    except ConfigurationError:
        raise
    except Exception as exc:
        raise ConfigurationError(
            f"cannot read the fields of {cls.__qualname__} ({adapter.name}): {exc}"
        ) from exc


def compile_record(cls: type, adapter: RecordAdapter, compile_hint: Callable[[Any], Any]) -> Any:
    fields = _fields(cls, adapter)
    convs: dict[str, Converter | None] = {}
    for f in fields:
        try:
            convs[f.name] = compile_hint(f.hint)
        except ConfigurationError as exc:
            raise ConfigurationError(f"field {f.name!r} of {cls.__qualname__}: {exc}") from exc
    settings = evolution.evolution_of(cls)
    renamed = dict(settings.renamed)
    by_name = {f.name: f for f in fields}
    for old, new in renamed.items():
        if new not in by_name:
            raise ConfigurationError(
                f"{cls.__qualname__}: renamed {old!r} to {new!r}, which is not a field"
            )
    required = frozenset(f.name for f in fields if f.required)
    name = cls.__qualname__
    ref = weakref.ref(cls)
    create = adapter.create
    static_policy = settings.unknown

    def conv(value: Any, path: str) -> Any:
        target = ref()
        if target is None:
            raise gone(name, path)
        if type(value) is not dict:
            if isinstance(value, target):
                return value
            raise fail(f"object (for {name})", value, path)
        args: dict[str, Any] = {}
        late: dict[str, Any] = {}
        unknown: dict[str, Any] | None = None
        for key, item in value.items():
            f = by_name.get(key)
            if f is None:
                new = renamed.get(key)
                if new is None or new in value:
                    if new is not None:
                        raise DecodeError(
                            f"both {key!r} and its new name {new!r} are set for {name}",
                            path=path,
                        )
                    if unknown is None:
                        unknown = {}
                    unknown[key] = item
                    continue
                f = by_name[new]
            c = convs[f.name]
            item = item if c is None else c(item, _model.path_key(path, key))
            keyword_ = f.keyword
            if keyword_ is None:
                late[f.name] = item
            else:
                args[keyword_] = item
        policy = "refuse"
        if unknown:
            policy = static_policy or evolution.unknown_policy()
            if policy == "refuse":
                first = next(iter(unknown))
                raise DecodeError(f"unexpected field {first!r} for {name}", path=path)
        present = {f.name for f in fields if (f.keyword in args or f.name in late)}
        missing = required - present
        if missing:
            raise DecodeError(
                f"missing field(s) {', '.join(sorted(missing))} for {name}", path=path
            )
        try:
            obj = create(target, args)
        except Exception as exc:
            raise DecodeError(
                f"{name}(...) rejected the decoded fields: {_text(exc)}",
                path=path,
            ) from exc
        for key, item in late.items():
            object.__setattr__(obj, key, item)
        if unknown and policy == "keep":
            evolution.keep(obj, unknown, path)
        return obj

    fast = _c_record_plan(cls, adapter, fields, convs, ref) or _generate_fast(
        cls, adapter, fields, convs, ref
    )
    if fast is not None:
        set_fast(conv, fast)
    return conv


def _text(exc: BaseException) -> str:
    try:
        text = str(exc)
    except Exception:
        return "?"
    return text if len(text) <= 200 else text[:197] + "..."


# -- the generated fast plan -------------------------------------------------------------------


def _kind(conv: Converter | None) -> str:
    """How the generated code handles a field's converter."""
    if conv is None:
        return "none"
    kind = getattr(conv, "__flowwire_kind__", None)
    if kind is not None:
        return str(kind)
    if conv is to_int:
        return "int"
    if conv is to_decimal:
        return "decimal"
    if conv is to_float:
        return "float"
    return "call"


def _generate_fast(
    cls: type,
    adapter: RecordAdapter,
    fields: list[RecordField],
    convs: dict[str, Converter | None],
    ref: Any,
) -> Callable[[Any], Any] | None:
    from flowwire.transport.model.adapters import RecordAdapter as _Base

    direct = type(adapter).create is _Base.create  # create is cls(**values)
    positional: frozenset[str] = getattr(adapter, "positional", lambda cls: frozenset())(cls)
    ns: dict[str, Any] = {"R": RETRY, "M": MISSING, "ref": ref, "D": Decimal, "dict": dict}
    ns["create"] = adapter.create
    ns["setattr_"] = object.__setattr__
    lines = ["def fast(value):", "  if type(value) is not dict: raise R", "  try:"]
    required = [f for f in fields if f.required]
    optional = [f for f in fields if not f.required]
    body: list[str] = []
    for i, f in enumerate(required):
        body.append(f"v{i} = value[{f.name!r}]")
    body.append("o = {}")
    late: list[tuple[str, str]] = []
    index = {f.name: i for i, f in enumerate(required)}
    for j, f in enumerate(optional):
        body.append(f"x = value.get({f.name!r}, M)")
        body.append("if x is not M:")
        conv_lines = _convert("x", convs[f.name], f"o{j}", ns)
        body += ["  " + line for line in conv_lines]
        if f.keyword is None:
            body.append(f"  o[{f.name!r}] = x")
        else:
            body.append(f"  o[{f.keyword!r}] = x")
    count = f"{len(required)} + len(o)" if optional else str(len(required))
    body.append(f"if len(value) != {count}: raise R")
    for f in required:
        body += _convert(f"v{index[f.name]}", convs[f.name], f"c{index[f.name]}", ns)
    late_names = [f.name for f in fields if f.keyword is None]
    args: list[str] = []
    kwargs: list[str] = []
    for f in required:
        if f.keyword is None:
            late.append((f.name, f"v{index[f.name]}"))
        elif f.name in positional and not kwargs:
            args.append(f"v{index[f.name]}")
        else:
            kwargs.append(f"{f.keyword}=v{index[f.name]}")
    if any(not (k.isidentifier() and not keyword.iskeyword(k)) for k in _keywords(fields)):
        return None  # constructor keywords that cannot be written as Python source
    body.append("cls = ref()")
    body.append("if cls is None: raise R")
    if late_names and optional:
        for name in late_names:
            if any(f.name == name for f in optional):
                body.append(f"lv_{name} = o.pop({name!r}, M)")
    call_args = ", ".join([*args, *kwargs, *(["**o"] if optional else [])])
    if direct:
        body.append(f"obj = cls({call_args})")
    else:
        pairs = ", ".join(
            [
                *(f"{f.keyword!r}: v{index[f.name]}" for f in required if f.keyword is not None),
            ]
        )
        body.append(f"kw = {{{pairs}}}")
        if optional:
            body.append("kw.update(o)")
        body.append("obj = create(cls, kw)")
    for name, var in late:
        body.append(f"setattr_(obj, {name!r}, {var})")
    for name in late_names:
        if any(f.name == name for f in optional):
            body.append(f"if lv_{name} is not M: setattr_(obj, {name!r}, lv_{name})")
    body.append("return obj")
    lines += ["    " + line for line in body]
    lines += ["  except Exception:", "    raise R"]
    source = "\n".join(lines)
    filename = f"<flowwire plan of {cls.__qualname__}>"
    try:
        exec(compile(source, filename, "exec"), ns)
    except SyntaxError:  # pragma: no cover - names are checked above
        return None
    fast: Callable[[Any], Any] = ns["fast"]
    return fast


def _c_record_plan(
    cls: type,
    adapter: RecordAdapter,
    fields: list[RecordField],
    convs: dict[str, Converter | None],
    ref: Any,
) -> Callable[[Any], Any] | None:
    """The C plan of a record built by ``cls(*required, **optional)``: a dataclass whose
    fields are all constructor arguments, required ones positional."""
    from flowwire.transport.model.adapters import RecordAdapter as _Base

    if type(adapter).create is not _Base.create or any(f.keyword is None for f in fields):
        return None
    positional: frozenset[str] = getattr(adapter, "positional", lambda cls: frozenset())(cls)
    required = [f for f in fields if f.required]
    optional = [f for f in fields if not f.required]
    if any(f.name not in positional for f in required):
        return None
    ordered = required + optional
    return c_plan(
        MODE_RECORD,
        [convs[f.name] for f in ordered],
        names=tuple(f.name for f in ordered),
        required=len(required),
        keywords=tuple(str(f.keyword) for f in optional),
        cls_ref=ref,
        direct=[f.name for f in ordered] == [f.name for f in fields] and sets_dict_only(cls),
    )


def sets_dict_only(cls: type) -> bool:
    """True if constructing ``cls`` with every field only fills its instance ``__dict__`` with
    the fields, in order: a dataclass whose ``__init__`` is the one ``dataclasses`` generated
    (no ``__post_init__``, no ``InitVar``, no custom ``__new__`` or metaclass), with a dict.
    The C plan then builds the instance directly, as msgspec and pydantic do."""
    import dataclasses

    init = cls.__dict__.get("__init__")
    code = getattr(init, "__code__", None)
    params = getattr(cls, "__dataclass_params__", None)
    return bool(
        dataclasses.is_dataclass(cls)
        and type(cls) is type
        and params is not None
        and params.init
        and code is not None
        and code.co_filename == "<string>"  # exec'd by dataclasses
        and init.__qualname__ == f"{cls.__qualname__}.__init__"  # type: ignore[union-attr]
        and code.co_argcount + code.co_kwonlyargcount == 1 + len(dataclasses.fields(cls))
        and not hasattr(cls, "__post_init__")
        and cls.__new__ is object.__new__
        and cls.__dictoffset__ != 0
        and "__slots__" not in cls.__dict__
    )


def _keywords(fields: list[RecordField]) -> list[str]:
    return [f.keyword for f in fields if f.keyword is not None]


def _convert(var: str, conv: Converter | None, slot: str, ns: dict[str, Any]) -> list[str]:
    """Lines converting ``var`` in place with ``conv`` (bound in ``ns`` under ``slot``)."""
    kind = _kind(conv)
    if kind == "none":
        return []
    if kind == "str":
        return [f"if type({var}) is not str: raise R"]
    if kind == "int":
        return [f"if type({var}) is not int: raise R"]
    if kind == "bool":
        return [f"if type({var}) is not bool: raise R"]
    if kind == "decimal":
        return [f"if type({var}) is str: {var} = D({var})", f"elif type({var}) is not D: raise R"]
    ns[slot] = fast_call(conv)
    return [f"{var} = {slot}({var})"]


# -- lowering ------------------------------------------------------------------------------------


def record_lowerer(cls: type, adapter: RecordAdapter) -> Callable[[Any], Any]:
    """``obj -> {field: value}`` for instances of ``cls``, plus their kept unknown fields."""
    names = [f.name for f in _fields(cls, adapter)]
    ns: dict[str, Any] = {"kept": evolution.kept, "getattr": getattr}
    items = []
    for i, name in enumerate(names):
        if name.isidentifier() and not keyword.iskeyword(name) and not name.startswith("__"):
            items.append(f"{name!r}: o.{name}")
        else:
            ns[f"n{i}"] = name
            items.append(f"{name!r}: getattr(o, n{i})")
    source = (
        "def low(o):\n"
        f"  d = {{{', '.join(items)}}}\n"
        "  if kept:\n"
        "    extra = kept.get(id(o))\n"
        "    if extra:\n"
        "      for k, v in extra.items(): d.setdefault(k, v)\n"
        "  return d\n"
    )
    exec(compile(source, f"<flowwire lowering of {cls.__qualname__}>", "exec"), ns)
    low: Callable[[Any], Any] = ns["low"]
    return low
