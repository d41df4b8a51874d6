"""Task results as workflow code sees them, and the helpers that wait on them.

A task proxy call returns a ``TaskResult``. It stands for the task's value: any use of it
(arithmetic, ``str``, ``bool``, comparison, attribute access, iteration, indexing, calling)
*touches* it. Touching a finished result gives its value; touching a failed one raises
``flowwire.TaskError``; touching one that is still running suspends the decision (the
engine resumes ``run`` when the history has the result). Passing a result to another proxy call
does not touch it: the call waits for it (and a failed one fails the call without scheduling).

``wait``, ``first``, ``finish_order`` and ``parallel_reduce`` accept plain values
too; a plain value counts as finished before any task.
"""

from __future__ import annotations

import heapq
import operator
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

__all__ = [
    "Restart",
    "SuspendTask",
    "TaskResult",
    "finish_order",
    "first",
    "parallel_reduce",
    "restart",
    "unwrap",
    "wait",
]


NO_HORIZON = sys.maxsize
"""What a call's ``horizon()`` answers while every finished result is visible (see
:meth:`_Call.horizon`)."""


class SuspendTask(Exception):
    """Raise from ``Activity.run`` to leave the task open.

    The task is then finished later through the engine's completion client with the
    activity's ``flowwire.Activity.token``: ``complete(token, result)``,
    ``fail(token, reason)``; ``heartbeat(token)`` keeps a task with a heartbeat timeout alive.
    """


class _Call(Protocol):
    """What a result needs from the decider's record of one proxy call."""

    def finished(self) -> bool: ...

    def finish_index(self) -> int: ...

    def get(self) -> Any: ...

    def block_until(self, ready: Callable[[], bool]) -> None: ...

    def journal(self) -> list[Any]: ...

    def horizon(self) -> int:
        """Results that finished at this history index or later count as running (a
        cancellation request the workflow was not told about yet hides them, so that every
        replay tells it at the same wait); :data:`NO_HORIZON` when none is hidden."""
        ...


class TaskResult:
    """The result of a task proxy call. Use it as the value; see the module docstring.

    ``wait(result)`` returns the plain value (or raises ``flowwire.TaskError``).
    """

    __slots__ = ("_fw_call",)

    def __init__(self, call: Any) -> None:  # the decider's record of the call (private)
        object.__setattr__(self, "_fw_call", call)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)  # protocol probes (copy, pickle) must not touch
        return getattr(self._fw_call.get(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._fw_call.get(), name, value)

    def __hash__(self) -> int:
        return hash(self._fw_call.get())

    def __repr__(self) -> str:
        return repr(self._fw_call.get())

    def __format__(self, spec: str) -> str:
        return format(self._fw_call.get(), spec)

    def __round__(self, ndigits: int | None = None) -> Any:
        return round(self._fw_call.get(), ndigits)


#: build a TaskResult for a record without calling ``__init__`` (the decider's hot path):
#: ``result = _new_result(TaskResult); _set_record(result, call)``
_new_result = object.__new__
_set_record = TaskResult._fw_call.__set__  # type: ignore[attr-defined]


def _forward(op: Callable[..., Any]) -> Callable[..., Any]:
    def method(self: TaskResult, *args: Any) -> Any:
        return op(self._fw_call.get(), *args)

    return method


def _reflected(op: Callable[[Any, Any], Any]) -> Callable[..., Any]:
    def method(self: TaskResult, other: Any) -> Any:
        return op(other, self._fw_call.get())

    return method


_BINARY: dict[str, Callable[..., Any]] = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "matmul": operator.matmul,
    "truediv": operator.truediv,
    "floordiv": operator.floordiv,
    "mod": operator.mod,
    "divmod": divmod,
    "pow": pow,
    "lshift": operator.lshift,
    "rshift": operator.rshift,
    "and": operator.and_,
    "xor": operator.xor,
    "or": operator.or_,
}
for _name, _op in _BINARY.items():
    setattr(TaskResult, f"__{_name}__", _forward(_op))
    setattr(TaskResult, f"__r{_name}__", _reflected(_op))

_OTHER: dict[str, Callable[..., Any]] = {
    "__eq__": operator.eq,
    "__ne__": operator.ne,
    "__lt__": operator.lt,
    "__le__": operator.le,
    "__gt__": operator.gt,
    "__ge__": operator.ge,
    "__neg__": operator.neg,
    "__pos__": operator.pos,
    "__abs__": abs,
    "__invert__": operator.invert,
    "__int__": int,
    "__float__": float,
    "__complex__": complex,
    "__index__": operator.index,
    "__bool__": bool,
    "__str__": str,
    "__bytes__": bytes,
    "__len__": len,
    "__iter__": iter,
    "__reversed__": reversed,
    "__contains__": operator.contains,
    "__getitem__": operator.getitem,
    "__setitem__": operator.setitem,
    "__delitem__": operator.delitem,
}
for _name, _op in _OTHER.items():
    setattr(TaskResult, _name, _forward(_op))


def _call_method(name: str) -> Callable[..., Any]:
    def method(self: TaskResult, *args: Any, **kwargs: Any) -> Any:
        return getattr(self._fw_call.get(), name)(*args, **kwargs)

    return method


for _name in ("__trunc__", "__floor__", "__ceil__", "__fspath__"):
    setattr(TaskResult, _name, _call_method(_name))


def _call_kw(self: TaskResult, *args: Any, **kwargs: Any) -> Any:
    return self._fw_call.get()(*args, **kwargs)


TaskResult.__call__ = _call_kw  # type: ignore[method-assign]


# -- helpers over results and plain values -----------------------------------------------


def _call_of(value: Any) -> _Call | None:
    return value._fw_call if type(value) is TaskResult else None


def _index(value: Any) -> int:
    call = _call_of(value)
    return -1 if call is None else call.finish_index()


def wait(result: Any) -> Any:
    """Return the plain value of ``result``, suspending until its task finished.

    A plain value is returned as is.

    Raises:
        TaskError: the task failed (with ``error_handling=True`` on its proxy).
    """
    return result._fw_call.get() if type(result) is TaskResult else result


def unwrap(value: Any) -> Any:
    """Return ``value`` with every ``TaskResult`` inside lists, tuples, sets and dict
    values replaced by its plain value (suspending until each is finished)."""
    kind = type(value)
    if kind is TaskResult:
        return value._fw_call.get()
    if kind is list:
        return [unwrap(v) for v in value]
    if kind is tuple:
        return tuple(unwrap(v) for v in value)
    if kind is dict:
        return {k: unwrap(v) for k, v in value.items()}
    if kind is set:
        return {unwrap(v) for v in value}
    if kind is frozenset:
        return frozenset(unwrap(v) for v in value)
    return value


class _FinishQueue:
    """Items (results or plain values) ordered by when they finished: history order, then the
    order they were added. A plain value finishes before any task.

    Finished items wait in a heap. Running ones are moved there by reading the execution's
    journal of settled calls from a cursor, so each step costs what changed, not the number
    of items still running (a fan-in over thousands of tasks stays linear).
    """

    def __init__(self, items: Iterable[Any]) -> None:
        self._heap: list[tuple[int, int, Any]] = []
        self._running: dict[int, list[tuple[int, Any]]] = {}
        self._count = 0
        self._journal: list[Any] | None = None
        self._cursor = 0
        self._source: _Call | None = None  # any call of the items: the execution's horizon
        for item in items:
            self.add(item)

    def __len__(self) -> int:
        return len(self._heap) + sum(len(entries) for entries in self._running.values())

    def add(self, item: Any) -> None:
        order = self._count
        self._count += 1
        call = _call_of(item)
        if call is not None and self._source is None:
            self._source = call
        if call is None or call.finished():
            heapq.heappush(self._heap, (_index(item), order, item))
            return
        if self._journal is None:
            self._journal = call.journal()
            self._cursor = len(self._journal)
        self._running.setdefault(id(call), []).append((order, item))

    def _drain(self) -> None:
        journal = self._journal
        if journal is None or self._cursor == len(journal):
            return
        for call in journal[self._cursor :]:
            for order, item in self._running.pop(id(call), ()):
                heapq.heappush(self._heap, (call.finish_index(), order, item))
        self._cursor = len(journal)

    def _horizon(self) -> int:
        source = self._source
        return NO_HORIZON if source is None else source.horizon()

    def _ready(self) -> int:
        """How many items finished (before the horizon)."""
        journal, horizon = self._journal, self._horizon()
        new = () if journal is None else journal[self._cursor :]
        running = self._running
        if horizon == NO_HORIZON:
            return len(self._heap) + sum(len(running.get(id(c), ())) for c in new)
        return sum(1 for entry in self._heap if entry[0] < horizon) + sum(
            len(running.get(id(c), ())) for c in new if c.finish_index() < horizon
        )

    def wait_for(self, wanted: int) -> None:
        """Suspend until ``wanted`` items (at most all of them) are finished."""
        wanted = min(wanted, len(self))
        self._drain()
        if len(self._heap) >= wanted and (
            self._source is None or self._horizon() == NO_HORIZON or self._ready() >= wanted
        ):
            return
        source = self._source
        assert source is not None  # plain values are all finished
        source.block_until(lambda: self._ready() >= wanted)
        self._drain()

    def peek(self) -> Any:
        return self._heap[0][2]

    def pop(self) -> Any:
        return heapq.heappop(self._heap)[2]

    def only(self) -> Any:
        if self._heap:
            return self._heap[0][2]
        [[(_, item)]] = self._running.values()
        return item


def first(result: Any, *results: Any) -> Any:
    """Return the argument whose task finished first (by history order), suspending until one
    did. Plain values count as already finished; among those the leftmost wins.

    The returned object is the original result: touching a failed one raises
    ``flowwire.TaskError``.
    """
    queue = _FinishQueue([result, *results])
    queue.wait_for(1)
    return queue.peek()


def finish_order(results: Iterable[Any]) -> Iterator[Any]:
    """Yield ``results`` in the order their tasks finish (history order), suspending when the
    next one is not finished yet. Plain values come first, in their given order."""
    queue = _FinishQueue(results)
    while len(queue):
        queue.wait_for(1)
        yield queue.pop()


_NO_INITIAL: Any = object()


def parallel_reduce(
    function: Callable[[Any, Any], Any], iterable: Iterable[Any], initializer: Any = _NO_INITIAL
) -> Any:
    """Reduce ``iterable`` with ``function``, combining values as soon as two are finished.

    ``function`` is typically a task proxy: each combination is a task, and independent
    combinations run concurrently (a reduction tree shaped by finish order). The order of the
    operands is the finish order, so ``function`` should be associative and commutative.
    Returns the last combination (a ``TaskResult`` when ``function`` is a proxy).

    Raises:
        TypeError: ``iterable`` is empty and no ``initializer`` is given.
    """
    items = list(iterable)
    if initializer is not _NO_INITIAL:
        items.insert(0, initializer)
    if not items:
        raise TypeError("parallel_reduce() of an empty iterable with no initializer")
    queue = _FinishQueue(items)
    while len(queue) > 1:
        queue.wait_for(2)
        left = queue.pop()
        right = queue.pop()
        queue.add(function(left, right))
    return queue.only()


class Restart:
    """What ``restart`` returns; ``run`` must return it to continue as new."""

    __slots__ = ("args", "kwargs")

    def __init__(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.args = args
        self.kwargs = kwargs

    def __repr__(self) -> str:
        return f"restart(*{self.args!r}, **{self.kwargs!r})"


def restart(*args: Any, **kwargs: Any) -> Any:  # Any: so ``run`` keeps its return type
    """Continue the workflow as a new execution with these arguments: ``return restart(...)``
    from ``run``. The arguments are serialized by the workflow's
    ``_serialize_restart_arguments`` (its transport); task results in them are waited for."""
    return Restart(args, kwargs)
