"""``flowwire swf executions|history`` and the timeline: moto runs and recorded SWF traffic."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from _extras import needs, requires

from flowwire.cli import main
from flowwire.engines.swf.bindings import TaskRegistry
from flowwire.engines.swf.client import SWF
from flowwire.engines.swf.inspect import history_entries, swf_timeline, timestamp
from flowwire.engines.swf.registration import register_all
from flowwire.engines.swf.service import WorkerPool
from flowwire.engines.swf.starter import start
from flowwire.testing.moto import MotoServer
from flowwire.tools.timeline import OUTCOMES, render_html, render_svg, write_timeline

from .test_swf_recorded import decision_tasks

DOMAIN = "history"
ROOT = Path(__file__).resolve().parents[2]


def _histories(traffic: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """``(workflow id, events)`` of every recorded decision task, its pages joined."""
    found = []
    for pages in decision_tasks(traffic):
        events = [e for page in pages for e in page["response"]["events"]]
        found.append((pages[0]["response"]["workflowExecution"]["workflowId"], events))
    return found


def test_recorded_histories_become_timelines(decider_traffic: list[dict[str, Any]]) -> None:
    outcomes: set[str] = set()
    kinds: set[str] = set()
    histories = _histories(decider_traffic)
    assert len(histories) > 50
    for workflow_id, events in histories:
        timeline = swf_timeline(events, workflow_id=workflow_id)
        assert timeline.started == timestamp(events[0]["eventTimestamp"])
        for row in timeline.rows:
            outcomes.add(row.outcome)
            kinds.add(row.kind)
            assert row.started is None or row.started >= row.scheduled
            assert row.ended is None or row.ended >= (row.started or row.scheduled)
        svg = render_svg(timeline)
        assert svg.count("<title>") >= len(timeline.rows)
    # real SWF traffic exercises every outcome but a cancellation
    assert outcomes >= set(OUTCOMES) - {"canceled"}, outcomes
    assert kinds == {"activity", "child workflow", "timer", "decision"}


def test_recorded_histories_decode_every_payload_field(
    decider_traffic: list[dict[str, Any]],
) -> None:
    read = failures = 0
    for workflow_id, events in _histories(decider_traffic):
        for entry in history_entries(events, workflow_id=workflow_id):
            read += len(entry.payloads)
            failures += entry.error is not None
            for name, problem in entry.problems.items():
                # flowy's input is a JSON array: refused as flowwire arguments, and said so
                assert name == "input" and "arguments payload must be an object" in problem
    assert read > 500 and failures > 50


def test_history_from_a_file_with_a_timeline(
    decider_traffic: list[dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pages = max(decision_tasks(decider_traffic), key=lambda p: len(p[0]["response"]["events"]))
    document = dict(pages[0]["response"])
    document["events"] = [e for page in pages for e in page["response"]["events"]]
    path = tmp_path / "history.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    out_file = tmp_path / "run.html"
    assert main(["swf", "history", "--file", str(path), "--timeline", str(out_file)]) == 0
    captured = capsys.readouterr()
    assert "ActivityTaskFailed" in captured.out and "TimerStarted" in captured.out
    assert "DecisionTaskStarted" not in captured.out  # bookkeeping, shown with --all
    assert f"written to {out_file}" in captured.err
    page = out_file.read_text(encoding="utf-8")
    # self-contained: nothing to fetch, nothing to run
    assert "<script" not in page and not re.search(r"""(src|href)=["']""", page)
    assert page.count("<svg") == 1 and "Hover a bar" in page
    assert main(["swf", "history", "--file", str(path), "--json"]) == 0
    events = json.loads(capsys.readouterr().out)["events"]
    assert len(events) == len(document["events"])


def test_a_timeline_file_name_must_say_its_format(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["swf", "history", "--file", "x.json", "--timeline", "out.pdf"]) == 2
    assert "use a .svg, .html or .png file" in capsys.readouterr().err


@pytest.fixture
def encrypted_run(cli_on_moto: MotoServer) -> tuple[SWF, str, str]:
    requires("cryptography")
    from swf import _encrypted as e

    swf = SWF(cli_on_moto.client("swf"), DOMAIN)
    registry = TaskRegistry([e.Square, e.Squares])
    register_all(swf, registry.specs())
    with WorkerPool(swf, registry, deciders=2, activity_threads=3, stagger=0.25):
        run = start(swf, e.Squares, [[2, 3, -1]], workflow_id="squares-1")
        assert run.result(timeout=60) == {"2": 4, "3": 9, "-1": "ValueError: no square of -1 today"}
    return swf, run.workflow_id, run.run_id


@pytest.mark.swf
def test_executions_and_an_encrypted_history_decoded_with_the_task_types(
    encrypted_run: tuple[SWF, str, str],
    cli_on_moto: MotoServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    swf, workflow_id, run_id = encrypted_run
    where = ["--domain", DOMAIN, "--endpoint-url", cli_on_moto.endpoint_url]
    assert main(["swf", "executions", *where]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == [
        "WORKFLOW",
        "ID",
        "RUN",
        "ID",
        "TYPE",
        "STATUS",
        "STARTED",
        "(UTC)",
        "TOOK",
    ]
    assert workflow_id in table[1] and run_id in table[1] and "COMPLETED" in table[1]
    assert main(["swf", "executions", "--open", "--json", *where]) == 0
    assert json.loads(capsys.readouterr().out) == []

    raw = swf.call(
        "GetWorkflowExecutionHistory",
        domain=DOMAIN,
        execution={"workflowId": workflow_id, "runId": run_id},
    )["events"]
    started = raw[0]["workflowExecutionStartedEventAttributes"]["input"]
    assert started.startswith("~") and "[2, 3, -1]" not in started  # ciphertext on SWF

    assert main(["swf", "history", workflow_id, "--scan", "swf._encrypted", "--json", *where]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["execution"]["status"] == "COMPLETED"
    events = document["events"]
    assert events[0]["input"] == {"args": [[2, 3, -1]], "kwargs": {}}
    results = sorted(e["result"] for e in events if e["event"] == "ActivityTaskCompleted")
    assert results == [4, 9]
    failed = next(e for e in events if e["event"] == "ActivityTaskFailed")
    assert failed["error"]["type"] == "ValueError"
    assert failed["key"].startswith("square-") and failed["task"] == "activity 'secret.square' v1"
    assert "raise ValueError" in failed["error"]["traceback"]

    # without the task types the payloads are refused, naming the key they need
    assert main(["swf", "history", workflow_id, *where]) == 0
    text = capsys.readouterr().out
    assert "input: unreadable DecodeError: cannot decrypt" in text and "'test-1'" in text

    svg, html = tmp_path / "run.svg", tmp_path / "run.html"
    for target in (svg, html):
        argv = ["swf", "history", workflow_id, "--run-id", run_id, "--timeline", str(target)]
        assert main([*argv, *where]) == 0
    picture = svg.read_text(encoding="utf-8")
    assert picture.startswith("<svg") and picture.count("square-") >= 3
    assert "running tasks (peak 3)" in picture  # the three squares ran concurrently
    assert "failed" in picture and html.read_text(encoding="utf-8").count("<svg") == 1


@pytest.mark.swf
def test_a_png_timeline(
    encrypted_run: tuple[SWF, str, str], cli_on_moto: MotoServer, tmp_path: Path
) -> None:
    requires("matplotlib")
    _, workflow_id, _ = encrypted_run
    target = tmp_path / "run.png"
    argv = ["swf", "history", workflow_id, "--timeline", str(target)]
    assert main([*argv, "--domain", DOMAIN, "--endpoint-url", cli_on_moto.endpoint_url]) == 0
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_render_html_names_what_it_counts() -> None:
    from flowwire.tools.timeline import Timeline, TimelineRow

    rows = (
        TimelineRow("a-0-0", "activity 'a' v1", "activity", 0.0, 0.5, 2.0, "completed"),
        TimelineRow(
            "a-0-1", "activity 'a' v1", "activity", 0.0, 0.5, 1.0, "timed out", "START_TO_CLOSE"
        ),
        TimelineRow("t", "timer 5 s", "timer", 1.0, 1.0, None, "running"),
    )
    page = render_html(Timeline("demo", 0.0, None, "OPEN", rows))
    assert "open, 2 s: 3 tasks (1 completed, 1 running, 1 timed out), 0 decision tasks" in page
    assert "START_TO_CLOSE" in page


@needs("swf")
@needs("moto")
@pytest.mark.swf
def test_the_docs_timeline_comes_from_a_real_run_of_the_example(tmp_path: Path) -> None:
    from examples.swf_timeline import ORDER, run_order

    timeline = run_order()
    tasks = [r for r in timeline.rows if r.kind != "decision"]
    assert [r.label for r in tasks].count("activity 'orders.reserve' v1") == len(ORDER["lines"])
    assert {r.outcome for r in tasks} == {"completed"} and timeline.status == "COMPLETED"
    assert tasks[-1].label == "activity 'orders.ship' v1"
    written = tmp_path / "order.svg"
    write_timeline(timeline, written)
    shown = ROOT / "docs" / "_static" / "timeline-orders.svg"  # made by the same code
    for picture in (written.read_text(encoding="utf-8"), shown.read_text(encoding="utf-8")):
        assert picture.startswith("<svg") and picture.rstrip().endswith("</svg>")
        assert picture.count("orders.reserve") >= len(ORDER["lines"])
        assert "workflow &#x27;orders.place&#x27; v1 (order-o-7)" in picture
