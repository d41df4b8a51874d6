"""Type stub of the optional C reader built from _pbfast.c."""

from typing import Any

FALLBACK: object

def decode(data: bytes, max_depth: int, /) -> Any: ...
def decode_arguments(data: bytes, max_depth: int, /) -> Any: ...
def configure(
    datetime: Any, date: Any, time: Any, timedelta: Any, uuid: Any, decimal: Any, /
) -> None: ...
