"""Smoke test of ``flowwire bench``: a ``--quick`` equivalent with tiny rounds.

It checks the structure of the results, never a timing: every payload ran through every
built-in transport, unsupported pairs carry a reason, ratios and sizes are where they belong,
and the JSON document round-trips. The comparison suite of ``bench/`` is
``tests/test_bench_suite.py``'s.
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


def test_typed_payloads_run_on_flowwire_only(outcome) -> None:  # type: ignore[no-untyped-def]
    typed = {r.candidate: r for r in outcome.results if r.payload == "typed"}
    assert {"orjson", "msgpack", "codec json"}.isdisjoint(typed)
    for name in ("flowwire json", "flowwire msgpack", "flowwire protobuf"):
        assert typed[name].status == "ok", typed[name].note
    assert {r.group for r in typed.values()} == {"flowwire", "stages"}


def test_the_package_runs_no_peer_library(outcome) -> None:  # type: ignore[no-untyped-def]
    """The comparison peers live in bench/: the package's candidates are flowwire's own, the
    raw libraries it depends on and a memory copy, whatever else is installed."""
    assert {r.library for r in outcome.results} == {
        "flowwire",
        "orjson",
        "msgpack",
        "protobuf",
        "python",
    }
    assert {r.candidate for r in outcome.results if r.library == "python"} == {"memcopy"}
    assert outcome.document["skipped_candidates"] == []
    assert "targets" not in outcome.document and "engine" not in outcome.document


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
    pytest.importorskip("rich", reason="needs the bench extra (rich)")
    from flowwire.benchmark.cli import main

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
    pytest.importorskip("rich", reason="needs the bench extra (rich)")
    from flowwire.benchmark.cli import main

    assert main(["--payloads", "nope", "--no-progress"]) == 2
    assert "unknown payload 'nope'" in capsys.readouterr().err


@pytest.mark.parametrize("flag", ["--engine", "--swf"])
def test_cli_says_where_the_engine_benchmarks_went(
    flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from flowwire.benchmark.cli import main

    assert main([flag, "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "moved out of the package" in err and "python bench/run.py" in err
    assert flag not in build_help()


def build_help() -> str:
    from flowwire.benchmark.cli import build_parser

    return build_parser().format_help()


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
