"""Run a subprocess as if some optional packages were not installed.

``env_without(tmp_path, "hypothesis", "boto3")`` returns an environment whose Python refuses to
import those top-level packages (a ``sitecustomize`` on ``PYTHONPATH`` installs a finder that
raises ``ModuleNotFoundError`` for them), the same error a user without the extra gets.
"""

from __future__ import annotations

import os
from pathlib import Path

_SITECUSTOMIZE = """\
import sys

BLOCKED = {blocked!r}


class _Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None


sys.meta_path.insert(0, _Blocker())
"""


def env_without(tmp_path: Path, *modules: str) -> dict[str, str]:
    """``os.environ`` plus a ``PYTHONPATH`` entry that blocks ``modules`` in subprocesses."""
    site = tmp_path / "without-site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(
        _SITECUSTOMIZE.format(blocked=sorted(modules)), encoding="utf-8"
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH", "")]))
    return env
