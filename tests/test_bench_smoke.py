"""Smoke test of the benchmark suite: a ``flowwire bench --quick`` equivalent with tiny rounds.

It checks the structure of the results, never a timing: every payload ran through every
built-in transport, unsupported pairs carry a reason, ratios and sizes are where they belong,
and the JSON document round-trips.
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest

from flowwire.benchmark import Options, builtin_payloads, load_payload, run_suite
from flowwire.benchmark.payloads import BUILTIN_PAYLOADS, MIB, Payload
from flowwire.benchmark.runner import first_difference
from flowwire.errors import ConfigurationError

TINY = {"quick": True, "rounds": 1, "min_time": 0.0001}


@pytest.fixture(scope="module")
def outcome():  # type: ignore[no-untyped-def]
    return run_suite(Options(**TINY))  # type: ignore[arg-type]


def test_every_payload_goes_through_every_builtin_transport(outcome) -> None:  # type: ignore[no-untyped-def]
    rows = {(r.payload, r.candidate): r for r in outcome.results}
    for payload in BUILTIN_PAYLOADS:
        for transport in ("json", "msgpack", "protobuf"):
            result = rows[(payload, f"flowwire {transport}")]
            assert result.status == "ok", (payload, transport, result.note)
            assert result.encode_s and result.decode_s and result.roundtrip_s
            assert len(result.encode_samples) == 1
            assert result.size and result.size > 0


def test_argument_candidates_only_run_on_call_payloads(outcome) -> None:  # type: ignore[no-untyped-def]
    args = [r for r in outcome.results if r.candidate.endswith(" args")]
    assert {r.payload for r in args} == {"tiny", "record_call"}
    assert all(r.status == "ok" for r in args)


def test_typed_payloads_run_on_flowwire_and_the_typed_peers_only(outcome) -> None:  # type: ignore[no-untyped-def]
    typed = {r.candidate: r for r in outcome.results if r.payload == "typed"}
    assert {"orjson", "msgpack", "codec json"}.isdisjoint(typed)
    for name in ("flowwire json", "flowwire msgpack", "flowwire protobuf"):
        assert typed[name].status == "ok", typed[name].note
    for peer in ("pydantic", "msgspec Struct"):  # the dev extra installs both
        assert typed[peer].status == "ok", typed[peer].note
    names = {t["name"] for t in outcome.document["targets"]}
    assert "json decode into Order <= 1x pydantic" in names
    assert "protobuf record arguments decode <= 3x msgpack" in names


def test_unsupported_pairs_are_listed_with_the_reason(outcome) -> None:  # type: ignore[no-untyped-def]
    rows = {(r.payload, r.candidate): r for r in outcome.results}
    memcopy = [r for r in outcome.results if r.candidate == "memcopy"]
    assert {r.payload for r in memcopy if r.timed} == {"bytes_1mib"}
    orjson_bytes = rows[("bytes_1mib", "orjson")]
    assert orjson_bytes.status == "unsupported" and not orjson_bytes.timed
    assert "bytes" in orjson_bytes.note
    # google.protobuf.Value stores every number as a double: reported, not hidden
    assert rows[("record", "protobuf")].status == "converts"
    assert "int came back as float" in rows[("record", "protobuf")].note


def test_document_is_complete_json(outcome, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    doc = json.loads(json.dumps(outcome.document))
    env = doc["environment"]
    assert env["python"] == sys.version.split()[0]
    assert env["cpu_count"] and env["cpu_model"]
    assert env["libraries"]["orjson"] and env["libraries"]["msgpack"]
    assert [p["name"] for p in doc["payloads"]] == list(BUILTIN_PAYLOADS)
    by_key = {(r["payload"], r["candidate"]): r for r in doc["results"]}
    record_json = by_key[("record", "flowwire json")]
    assert record_json["peer"] == "orjson" and record_json["ratio_to_peer"] > 0
    assert record_json["baseline"] == "msgpack" and record_json["ratio_to_baseline"] > 0
    assert by_key[("record", "msgpack")]["ratio_to_baseline"] == pytest.approx(1.0)
    # the typed message cannot go through msgpack: its baseline falls back to raw protobuf
    assert by_key[("protobuf", "flowwire protobuf")]["baseline"] == "protobuf"
    assert by_key[("bytes_1mib", "memcopy")]["mb_per_s"] > 0


def test_cli_writes_json_and_plots(tmp_path: Path) -> None:
    pytest.importorskip("rich")
    from flowwire.bench_cli import main

    out = tmp_path / "bench.json"
    argv = ["--quick", "--rounds", "1", "--min-time", "0.0001", "--payloads", "tiny,record"]
    argv += ["--only", "flowwire json,orjson", "--no-progress", "--json", str(out)]
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        plots = None
    else:
        plots = tmp_path / "plots"
        argv += ["--plot", str(plots)]
    assert main(argv) == 0
    doc = json.loads(out.read_text())
    assert {r["candidate"] for r in doc["results"]} == {
        "flowwire json",
        "flowwire json args",
        "flowwire json+zstd",
        "orjson",
        "msgpack",  # the baseline comes along, so the ratio columns stay filled
    }
    if plots is not None:
        assert sorted(p.name for p in plots.iterdir()) == [
            "throughput-record.png",
            "throughput-tiny.png",
        ]


def test_cli_reports_configuration_errors(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("rich")
    from flowwire.bench_cli import main

    assert main(["--payloads", "nope", "--no-progress"]) == 2
    assert "unknown payload 'nope'" in capsys.readouterr().err


def test_builtin_payload_shapes() -> None:
    payloads = {p.name: p for p in builtin_payloads()}
    assert payloads["tiny"].value == [["hello", 42], {"flag": True}]
    assert len(payloads["record"].value) == 20
    assert len(payloads["batch"].value) == 1000
    assert len(payloads["bytes_1mib"].value) == MIB
    assert len(payloads["text_1mib"].value.encode()) == MIB
    assert payloads["protobuf"].kind == "message"
    assert builtin_payloads(["record"])[0].value == payloads["record"].value  # deterministic


def test_user_payloads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "mine.json"
    path.write_text('{"a": [1, 2.5, null]}')
    payload = load_payload(str(path))
    assert (payload.name, payload.value) == ("mine", {"a": [1, 2.5, None]})

    (tmp_path / "bench_payload_mod.py").write_text(
        textwrap.dedent(
            """
            def make():
                return {"k": b"raw"}
            def broken():
                raise RuntimeError("boom")
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert load_payload("bench_payload_mod:make").value == {"k": b"raw"}
    with pytest.raises(ConfigurationError, match="boom"):
        load_payload("bench_payload_mod:broken")
    with pytest.raises(ConfigurationError, match="neither an existing JSON file"):
        load_payload(str(tmp_path / "missing.json"))
    with pytest.raises(ConfigurationError, match="cannot load payload function"):
        load_payload("bench_payload_mod:nothing")


def test_user_payload_runs_through_the_suite(tmp_path: Path) -> None:
    path = tmp_path / "order.json"
    path.write_text('{"id": 7, "lines": [{"sku": "a", "qty": 2}], "note": null}')
    outcome = run_suite(
        Options(
            **TINY, payloads=[], user_payloads=[str(path)], only=["flowwire msgpack"], stages="none"
        )  # type: ignore[arg-type]
    )
    assert {r.payload for r in outcome.results} == {"order"}
    # "flowwire msgpack" names its latin-1-armored variant too (selection is by substring)
    assert {r.candidate for r in outcome.results} == {
        "flowwire msgpack",
        "flowwire msgpack latin-1",
        "msgpack",
    }
    assert all(r.status == "ok" for r in outcome.results)


def test_first_difference() -> None:
    assert first_difference({"a": [1, 2.0]}, {"a": [1, 2.0]}) is None
    assert first_difference({"a": [1, 2]}, {"a": [1, 2.0]}) == "$.a[1]: int came back as float"
    assert first_difference([1, 2], [1]) == "$: 2 items came back as 1"
    assert first_difference({"a": 1}, {"b": 1}) == "$: keys differ"
    assert first_difference(float("nan"), float("nan")) is None
    assert first_difference("x", "y") == "$: value differs"


def test_engine_figures_have_their_structure() -> None:
    outcome = run_suite(
        Options(**TINY, payloads=["tiny"], only=["flowwire json"], engine=True)  # type: ignore[arg-type]
    )
    engine = outcome.document["engine"]
    assert engine["fan_out"]["activities"] == 200
    assert engine["fan_out"]["activities_per_s"] > 0
    assert [p["completed_tasks"] for p in engine["replay"]] == [10, 100, 1000]
    assert all(p["decision_s"] > 0 and p["cold_decision_s"] > 0 for p in engine["replay"])
    assert engine["sequential"]["live"]["ratio"] > 0
    assert "full_replay" not in engine["sequential"]  # quick runs skip the slow mode


def test_replay_history_builder_matches_the_engine() -> None:
    from flowwire.benchmark._engine_tasks import Sequential
    from flowwire.benchmark.engine import sequential_history
    from flowwire.engines.local import LocalEngine

    engine = LocalEngine()
    assert engine.run(Sequential, 3) == 3
    (history,) = engine.histories.values()
    built = sequential_history(3)
    # the same events in the same order, up to the input (n = completed + 1 there)
    assert [type(e) for e in history[1:7]] == [type(e) for e in built[1:]]
    assert [getattr(e, "key", None) for e in history[1:7]] == [
        getattr(e, "key", None) for e in built[1:]
    ]


class _ThirdPartyCodec:
    """A minimal third-party codec (JSON through orjson), registered for one test only."""

    name = "benchthirdparty"

    def __init__(self, **options: object) -> None:
        pass

    def encode(self, value: object) -> bytes:
        import orjson

        return orjson.dumps(value)

    def decode(self, data: bytes) -> object:
        import orjson

        return orjson.loads(data)


def test_third_party_transports_are_benchmarked(monkeypatch: pytest.MonkeyPatch) -> None:
    from flowwire.transport import available_transports, registry

    available_transports()  # load the built-ins before adding to the table
    monkeypatch.setitem(registry._codecs, _ThirdPartyCodec.name, _ThirdPartyCodec)
    outcome = run_suite(Options(**TINY, payloads=["record"], only=["benchthirdparty"]))  # type: ignore[arg-type]
    (result,) = [r for r in outcome.results if r.candidate == "flowwire benchthirdparty"]
    assert result.status == "ok" and result.timed
    assert result.peer is None  # no raw library is known for a third-party codec


@pytest.mark.swf
def test_swf_round_trips_over_moto() -> None:
    pytest.importorskip("moto")
    from flowwire.benchmark.engine_swf import run_swf_bench

    figures = run_swf_bench(("msgpack",), quick=True)
    assert [(r["workflow"], r["steps"]) for r in figures["runs"]] == [
        ("sequential", 1),
        ("fan-out", 3),
    ]
    assert all(r["result_ok"] and r["seconds"] > 0 for r in figures["runs"])


def test_missing_output_library_names_the_extra() -> None:
    from flowwire.benchmark.report import need

    with pytest.raises(ConfigurationError, match=r"pip install 'flowwire\[bench\]'"):
        need("flowwire_no_such_module.table")


def test_a_candidate_failing_mid_run_is_reported_not_fatal() -> None:
    from flowwire.benchmark.candidates import Candidate
    from flowwire.benchmark.runner import RunConfig, run

    calls = {"n": 0}

    def flaky_encode(value: object) -> bytes:
        calls["n"] += 1
        if calls["n"] > 3:
            raise RuntimeError("disk full")
        return b"x"

    flaky = Candidate("flaky", "peer", "test", flaky_encode, lambda data, hint: data)
    steady = Candidate("steady", "peer", "test", lambda v: b"x", lambda data, hint: data)
    payload = Payload("x", b"x", "one byte", nominal_size=1)
    results = run([payload], [flaky, steady], RunConfig(rounds=2, min_time=0.0001))
    by_name = {r.candidate: r for r in results}
    assert by_name["flaky"].status == "failed" and "disk full" in by_name["flaky"].note
    assert not by_name["flaky"].timed
    assert by_name["steady"].status == "ok" and by_name["steady"].timed


def _bench_script(name: str) -> dict[str, object]:
    import runpy

    root = Path(__file__).resolve().parents[1]
    return runpy.run_path(str(root / "bench" / name), run_name="bench_script")


def test_bench_transports_script_prints_the_targets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("rich")
    main = _bench_script("transports.py")["main"]
    out = tmp_path / "transports.json"
    assert main(["--quick", "--rounds", "1", "--json", str(out)]) == 0  # type: ignore[operator]
    printed = capsys.readouterr().out
    assert "transports vs the raw library" in printed
    assert "protobuf record within 4x of msgpack" in printed
    assert "json decode into Order <= 1x pydantic" in printed
    doc = json.loads(out.read_text())
    assert {t["candidate"] for t in doc["targets"]} >= {"flowwire json", "codec msgpack"}


def test_bench_engine_script_without_flowy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("rich")
    main = _bench_script("engine.py")["main"]
    out = tmp_path / "engine.json"
    args = ["--quick", "--no-flowy", "--no-durable", "--json", str(out)]
    assert main(args) == 0  # type: ignore[operator]
    assert "fan-out of 200 trivial activities" in capsys.readouterr().out
    assert json.loads(out.read_text())["engine"]["replay"][0]["completed_tasks"] == 10


def test_durable_bench_figures_have_their_structure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("rich")
    monkeypatch.chdir(tmp_path)  # the bench's fresh files go under the current directory
    module = _bench_script("durable_bench.py")
    figures = module["run_durable_bench"](quick=True, dbos=False, rounds=1)  # type: ignore[operator]
    assert figures["sequential 200 (full)"]["of_raw"] > 0
    assert figures["sequential 200 (normal)"]["raw_commits_per_s"] > 0
    assert figures["fan-out 200 (normal)"]["activities_per_s"] > 0
    recovery = figures["recovery"]
    assert recovery["killed_after_steps"] >= 500 and recovery["steps_run_twice_max"] <= 1
    assert recovery["next_step_s"] >= recovery["engine_to_next_step_s"] > 0
    assert figures["growth"]["bytes_per_event"] > 0 and figures["growth"]["linear"] == 4
    assert figures["note"] == "DBOS skipped (--no-dbos)"
    module["render_durable"](figures=figures, console=_console())  # type: ignore[operator]
    assert "durable local engine" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []  # every fresh file was removed


def _console() -> object:
    from rich.console import Console

    return Console(width=200)


class _ReverseStage:
    """A third-party stage for one test: reverses the bytes (its own inverse)."""

    name = "benchreverse"
    redacts = False

    def encode(self, data: bytes, ctx: object) -> tuple[bytes, bytes]:
        return data[::-1], b""

    def decode(self, data: bytes, params: bytes, ctx: object) -> bytes:
        return data[::-1]


def test_third_party_stages_are_benchmarked(monkeypatch: pytest.MonkeyPatch) -> None:
    from flowwire.transport import available_stages, registry

    available_stages()
    monkeypatch.setitem(registry._stages, _ReverseStage.name, _ReverseStage)
    outcome = run_suite(Options(**TINY, payloads=["record"], only=["benchreverse"]))  # type: ignore[arg-type]
    rows = {r.candidate: r for r in outcome.results}
    assert rows["flowwire msgpack+benchreverse"].status == "ok"
    assert rows["flowwire msgpack+benchreverse"].timed
