"""Type stub of the optional C checks built from _speedups.c."""

from typing import Any

def str_keys(value: Any, budget: int, /) -> bool | None: ...
def all_finite(value: Any, budget: int, /) -> bool | None: ...
def digit_run(text: str | bytes, n: int, /) -> bool: ...
def msgpack_containers(data: bytes, set_weight: int, stop: int, /) -> int | None: ...
def json_exact(value: Any, budget: int, classes: dict[int, int], /) -> bool | None: ...

class Plan:
    def __call__(self, value: Any, /) -> Any: ...

def make_plan(
    mode: int,
    kinds: tuple[int, ...],
    convs: tuple[Any, ...],
    names: tuple[str, ...],
    nreq: int,
    keywords: tuple[str, ...],
    cls_ref: Any,
    retry: BaseException,
    direct: bool,
    /,
) -> Plan: ...
