"""The stages example runs and shows what the docs page says it shows."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
from _extras import needs

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@needs("zstd")
@needs("crypto")
def test_stages_pipeline_example(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(EXAMPLES / "stages_pipeline.py"), run_name="__main__")
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("small:") and out[0].endswith("stages ['aesgcm']")
    assert out[1].endswith("stages ['zstd', 'aesgcm']")
    assert out[2].endswith("stages ['aesgcm', 'offload']")
    assert out[3].startswith('objects in the store: ["')
    assert out[4] == "after rotation, the old payload still decodes"


@needs("zstd")
@needs("crypto")
def test_stages_workflow_example(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(EXAMPLES / "stages_workflow.py"), run_name="__main__")
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("workflow result: 5,242,880 bytes, sha256 ")
    assert out[1].startswith("in the history: ") and " characters: ~" in out[1]
    assert int(out[1].split()[3]) < 300
    assert out[2].startswith("in the store: 1 object(s), ")
