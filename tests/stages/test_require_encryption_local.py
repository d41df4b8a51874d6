"""On the local engine (durable, SQLite): a plain input written into the history of an
encrypting workflow, as whoever can write the file could, is refused by the worker; the
migration switch reads it (issue 16)."""

from __future__ import annotations

import sqlite3
import sys
import threading
from pathlib import Path

import pytest
from _extras import reason

pytest.importorskip("cryptography", reason=reason("crypto"))

from flowwire import JSONTransport, LocalEngine
from flowwire.errors import TaskError
from flowwire.proxy import ActivityProxy
from flowwire.result import wait
from flowwire.task import Activity, Workflow, activity, workflow
from flowwire.transport.stages import AESGCM, Keyring

KEYRING = Keyring({"k1": bytes(range(32))}, current="k1")
STRICT = JSONTransport(stages=[AESGCM(KEYRING)])
MIGRATING = JSONTransport(stages=[AESGCM(KEYRING)], require_encryption=False)


@activity("encryption.local.pay", "1", "encryption-local", transport=STRICT)
class Pay(Activity):
    def run(self, amount: int) -> int:
        return amount


@workflow("encryption.local.checkout", "1", "encryption-local", transport=STRICT)
class Checkout(Workflow):
    pay = ActivityProxy(Pay)

    def run(self, amount: int) -> int:
        return wait(self.pay(amount))


@workflow("encryption.local.migrating", "1", "encryption-local", transport=MIGRATING)
class MigratingCheckout(Workflow):
    pay = ActivityProxy(Pay)

    def run(self, amount: int) -> int:
        return wait(self.pay(amount))


PLAIN_INPUT = '{"args": [1000000], "kwargs": {}}'


def _run_with_plain_input(path: Path, workflow_class: type[Workflow]) -> int:
    """Start ``workflow_class(5)``, overwrite its stored input with plain JSON, let a worker
    run it, and return its result."""
    tasks = sys.modules[__name__]
    started = LocalEngine([tasks], db=path).start(workflow_class, [5], workflow_id="injected")
    con = sqlite3.connect(path)
    try:
        (written,) = con.execute("SELECT input FROM runs").fetchone()
        assert written.startswith("~") and "1000000" not in written  # the genuine, encrypted
        con.execute("UPDATE runs SET input = ?", (PLAIN_INPUT,))
        con.execute("UPDATE events SET payload = ? WHERE kind = 'WorkflowStarted'", (PLAIN_INPUT,))
        con.commit()
    finally:
        con.close()
    stop = threading.Event()
    worker = threading.Thread(target=LocalEngine([tasks], db=path).work, args=(stop,))
    worker.start()
    try:
        result: int = LocalEngine([tasks], db=path).result(
            workflow_class, started.workflow_id, timeout=60
        )
        return result
    finally:
        stop.set()
        worker.join(60)


def test_a_plain_input_injected_in_the_history_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TaskError) as info:
        _run_with_plain_input(tmp_path / "flow.db", Checkout)
    message = str(info.value)
    assert message.startswith("workflow 'encryption.local.checkout' v1 failed: DecodeError: ")
    assert "arguments payload is not encrypted" in message
    assert "requires stage 'aesgcm'" in message and "(plain JSON text)" in message


def test_the_migration_switch_reads_the_plain_input(tmp_path: Path) -> None:
    assert _run_with_plain_input(tmp_path / "flow.db", MigratingCheckout) == 10**6
