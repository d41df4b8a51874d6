from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class NullValue(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NULL_VALUE: _ClassVar[NullValue]
NULL_VALUE: NullValue

class Value(_message.Message):
    __slots__ = ("null_value", "bool_value", "int_value", "big_int_value", "double_value", "string_value", "bytes_value", "list_value", "map_value", "tuple_value", "set_value", "frozenset_value", "datetime_value", "date_value", "time_value", "timedelta_value", "big_timedelta_value", "uuid_value", "decimal_value", "message_value")
    NULL_VALUE_FIELD_NUMBER: _ClassVar[int]
    BOOL_VALUE_FIELD_NUMBER: _ClassVar[int]
    INT_VALUE_FIELD_NUMBER: _ClassVar[int]
    BIG_INT_VALUE_FIELD_NUMBER: _ClassVar[int]
    DOUBLE_VALUE_FIELD_NUMBER: _ClassVar[int]
    STRING_VALUE_FIELD_NUMBER: _ClassVar[int]
    BYTES_VALUE_FIELD_NUMBER: _ClassVar[int]
    LIST_VALUE_FIELD_NUMBER: _ClassVar[int]
    MAP_VALUE_FIELD_NUMBER: _ClassVar[int]
    TUPLE_VALUE_FIELD_NUMBER: _ClassVar[int]
    SET_VALUE_FIELD_NUMBER: _ClassVar[int]
    FROZENSET_VALUE_FIELD_NUMBER: _ClassVar[int]
    DATETIME_VALUE_FIELD_NUMBER: _ClassVar[int]
    DATE_VALUE_FIELD_NUMBER: _ClassVar[int]
    TIME_VALUE_FIELD_NUMBER: _ClassVar[int]
    TIMEDELTA_VALUE_FIELD_NUMBER: _ClassVar[int]
    BIG_TIMEDELTA_VALUE_FIELD_NUMBER: _ClassVar[int]
    UUID_VALUE_FIELD_NUMBER: _ClassVar[int]
    DECIMAL_VALUE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_VALUE_FIELD_NUMBER: _ClassVar[int]
    null_value: NullValue
    bool_value: bool
    int_value: int
    big_int_value: bytes
    double_value: float
    string_value: str
    bytes_value: bytes
    list_value: ValueList
    map_value: ValueMap
    tuple_value: ValueList
    set_value: ValueList
    frozenset_value: ValueList
    datetime_value: str
    date_value: str
    time_value: str
    timedelta_value: int
    big_timedelta_value: bytes
    uuid_value: bytes
    decimal_value: str
    message_value: EmbeddedMessage
    def __init__(self, null_value: _Optional[_Union[NullValue, str]] = ..., bool_value: _Optional[bool] = ..., int_value: _Optional[int] = ..., big_int_value: _Optional[bytes] = ..., double_value: _Optional[float] = ..., string_value: _Optional[str] = ..., bytes_value: _Optional[bytes] = ..., list_value: _Optional[_Union[ValueList, _Mapping]] = ..., map_value: _Optional[_Union[ValueMap, _Mapping]] = ..., tuple_value: _Optional[_Union[ValueList, _Mapping]] = ..., set_value: _Optional[_Union[ValueList, _Mapping]] = ..., frozenset_value: _Optional[_Union[ValueList, _Mapping]] = ..., datetime_value: _Optional[str] = ..., date_value: _Optional[str] = ..., time_value: _Optional[str] = ..., timedelta_value: _Optional[int] = ..., big_timedelta_value: _Optional[bytes] = ..., uuid_value: _Optional[bytes] = ..., decimal_value: _Optional[str] = ..., message_value: _Optional[_Union[EmbeddedMessage, _Mapping]] = ...) -> None: ...

class ValueList(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[Value]
    def __init__(self, items: _Optional[_Iterable[_Union[Value, _Mapping]]] = ...) -> None: ...

class MapEntry(_message.Message):
    __slots__ = ("key", "value")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    key: str
    value: Value
    def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[Value, _Mapping]] = ...) -> None: ...

class ValueMap(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[MapEntry]
    def __init__(self, entries: _Optional[_Iterable[_Union[MapEntry, _Mapping]]] = ...) -> None: ...

class EmbeddedMessage(_message.Message):
    __slots__ = ("type_name", "data")
    TYPE_NAME_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    type_name: str
    data: bytes
    def __init__(self, type_name: _Optional[str] = ..., data: _Optional[bytes] = ...) -> None: ...

class Arguments(_message.Message):
    __slots__ = ("args", "kwargs")
    ARGS_FIELD_NUMBER: _ClassVar[int]
    KWARGS_FIELD_NUMBER: _ClassVar[int]
    args: _containers.RepeatedCompositeFieldContainer[Value]
    kwargs: _containers.RepeatedCompositeFieldContainer[MapEntry]
    def __init__(self, args: _Optional[_Iterable[_Union[Value, _Mapping]]] = ..., kwargs: _Optional[_Iterable[_Union[MapEntry, _Mapping]]] = ...) -> None: ...
