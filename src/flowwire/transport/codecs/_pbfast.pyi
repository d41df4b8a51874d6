"""Type stub of the optional C reader built from _pbfast.c."""

from typing import Any

FALLBACK: object
TOO_MANY_EMPTY_SETS: object

def decode(data: bytes, max_depth: int, empty_sets: int = -1, /) -> Any: ...
def decode_arguments(data: bytes, max_depth: int, empty_sets: int = -1, /) -> Any: ...
def configure(
    datetime: Any, date: Any, time: Any, timedelta: Any, uuid: Any, decimal: Any, /
) -> None: ...
