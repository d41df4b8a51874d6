"""Findings of the fuzz harness that are known bugs, not yet fixed.

Each entry names the bug (an issue's bullet) and recognises its findings. A fuzz test whose
only findings are known ones is marked ``xfail`` with the bug in the reason; once the fix is on
main its entry is removed here, and the same inputs must then pass.

Empty: the bugs of issue 16 that the harness found (zstd bombs, a mebibyte of empty
containers in each codec) are fixed, and their inputs pass.
"""

from __future__ import annotations

from collections.abc import Callable

from ._runner import Finding

KNOWN: dict[str, Callable[[Finding], bool]] = {}


def judge(findings: list[Finding], *, shown: int = 20) -> None:
    """Fail on unknown findings; ``xfail`` naming the bullets when all of them are known."""
    import pytest

    unknown, known = split(findings)
    assert not unknown, "\n".join(f.short() for f in unknown[:shown])
    if known:
        bullets = ", ".join(f"{b} ({n})" for b, n in known.items())
        pytest.xfail(f"known bugs: {bullets}")


def split(findings: list[Finding]) -> tuple[list[Finding], dict[str, int]]:
    """``(unknown findings, {bullet: count of its findings})``."""
    unknown: list[Finding] = []
    known: dict[str, int] = {}
    for finding in findings:
        for bullet, matches in KNOWN.items():
            if matches(finding):
                known[bullet] = known.get(bullet, 0) + 1
                break
        else:
            unknown.append(finding)
    return unknown, known
