"""Findings that are known bugs of issue 16, fixed on another branch (issue16fix).

Each entry names the bullet of the issue and recognises its findings. A fuzz test whose only
findings are known ones is marked ``xfail`` with the bullet in the reason; once the fix is on
main its entry is removed here, and the same inputs must then pass.
"""

from __future__ import annotations

from collections.abc import Callable

from ._runner import Finding

KNOWN: dict[str, Callable[[Finding], bool]] = {
    # "zstd decodes on every transport bounded only by a 2 GiB default"
    "Decompression bomb": lambda f: f.kind in ("memory", "slow") and "zstd" in f.target,
    # "a document decoded from at most 1 MiB of payload may not cost more than 64 MiB"
    "Bounded decoding by default": lambda f: f.kind in ("memory", "slow") and f.index == -1,
}


def judge(findings: list[Finding], *, shown: int = 20) -> None:
    """Fail on unknown findings; ``xfail`` naming the bullets when all of them are known."""
    import pytest

    unknown, known = split(findings)
    assert not unknown, "\n".join(f.short() for f in unknown[:shown])
    if known:
        bullets = ", ".join(f"{b} ({n})" for b, n in known.items())
        pytest.xfail(f"known, fixed on issue16fix: {bullets}")


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
