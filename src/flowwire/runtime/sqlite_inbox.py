"""The inbox of the SQLite store: external inputs waiting for the kernel that holds their
execution (schema in :mod:`flowwire.runtime.sqlite_schema`, version 2 on).

An input is a row of ``inbox``: a signal (``kind`` ``'signal'``, its ``name`` and ``payload``)
or a cancellation request (``'cancel'``). Anyone may queue one for an open execution
(:func:`queue`, in the transaction that checks it is open); the kernel holding the execution
reads the rows of its executions (:func:`waiting`), appends their events and deletes the rows in
the commit that stores those events (:func:`write`, with a batch's ``consumed`` ids), so an
input is delivered exactly once. A batch's ``signals`` (sent by a workflow to an execution
another kernel holds) are queued by the same commit, and the rows of executions that closed
go with them.

These functions are the SQL only: :class:`~flowwire.runtime.sqlite.SQLiteStore` calls them
under its lock, inside its transactions, with its error mapping.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from flowwire.runtime.store import Batch, InboxItem, RunRecord

__all__ = ["is_open", "queue", "waiting", "write"]


def queue(
    con: sqlite3.Connection,
    columns: str,
    ident: str,
    kind: str,
    name: str | None,
    payload: str | None,
    at: float,
) -> Sequence[Any] | None:
    """Queue an input for the open run with workflow id (or run id) ``ident``; returns that
    run's row (``columns`` of ``runs``), or ``None`` (and queues nothing) when none is open."""
    row: Sequence[Any] | None = con.execute(
        f"SELECT {columns} FROM runs WHERE (run_id = ?1 OR workflow_id = ?1) "
        "AND status = 'open' ORDER BY run_no DESC LIMIT 1",
        (ident,),
    ).fetchone()
    if row is None:
        return None
    workflow_id = row[1]  # the columns start with run_id, workflow_id
    con.execute(
        "INSERT INTO inbox (workflow_id, kind, name, payload, at) VALUES (?, ?, ?, ?, ?)",
        (workflow_id, kind, name, payload, at),
    )
    return row


def waiting(con: sqlite3.Connection, owner_id: str | None) -> list[InboxItem]:
    """The inputs for the open executions ``owner_id`` holds, in arrival order."""
    rows = con.execute(
        "SELECT inbox.id, inbox.workflow_id, inbox.kind, inbox.name, inbox.payload, "
        "inbox.at FROM inbox JOIN runs ON runs.workflow_id = inbox.workflow_id "
        "AND runs.status = 'open' AND runs.owner = ? ORDER BY inbox.id",
        (owner_id,),
    ).fetchall()
    return [InboxItem(*row) for row in rows]


def is_open(con: sqlite3.Connection, workflow_id: str) -> bool:
    """Whether an open run of workflow id ``workflow_id`` is in the file."""
    row = con.execute(
        "SELECT 1 FROM runs WHERE workflow_id = ? AND status = 'open'", (workflow_id,)
    ).fetchone()
    return row is not None


def write(con: sqlite3.Connection, batch: Batch, closed: Sequence[RunRecord], at: float) -> None:
    """The inbox part of committing ``batch``: queue its ``signals``, delete the ``consumed``
    rows and those of the executions that ``closed`` (a run that continued as new keeps its
    execution's rows)."""
    if batch.signals:
        con.executemany(
            "INSERT INTO inbox (workflow_id, kind, name, payload, at) "
            "VALUES (?, 'signal', ?, ?, ?)",
            [(wid, name, payload, at) for wid, name, payload in batch.signals],
        )
    if batch.consumed:
        con.executemany("DELETE FROM inbox WHERE id = ?", [(i,) for i in batch.consumed])
    if closed:
        con.executemany(
            "DELETE FROM inbox WHERE workflow_id = ?1 AND NOT EXISTS "
            "(SELECT 1 FROM runs WHERE workflow_id = ?1 AND status = 'open')",
            [(r.workflow_id,) for r in closed],
        )
