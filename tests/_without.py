"""Run a subprocess as if some optional packages, or the C extensions, were not installed.

``env_without(tmp_path, "hypothesis", "boto3")`` returns an environment whose Python refuses to
import those packages (a ``sitecustomize`` on ``PYTHONPATH`` installs a finder that raises
``ModuleNotFoundError`` for them and their submodules), the same error a user without the extra
gets. ``blocking(*modules)`` is that finder as source, for a script given to ``python -c``;
``blocking(*C_EXTENSIONS)`` makes the script's flowwire pure Python, as on an install without a
compiler.
"""

from __future__ import annotations

import os
from pathlib import Path

#: flowwire's optional C extensions: without them it falls back to its Python implementations
C_EXTENSIONS = ("flowwire.transport._speedups", "flowwire.transport.codecs._pbfast")

_BLOCKER = """\
import sys

BLOCKED = {blocked!r}


class _Blocker:
    def find_spec(self, name, path=None, target=None):
        if any(name == b or name.startswith(b + ".") for b in BLOCKED):
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None


sys.meta_path.insert(0, _Blocker())
"""


def blocking(*modules: str) -> str:
    """Python source that makes the interpreter running it refuse to import ``modules`` (a
    package or a module, with its submodules) from then on; it also imports ``sys``."""
    return _BLOCKER.format(blocked=sorted(modules))


def env_without(tmp_path: Path, *modules: str) -> dict[str, str]:
    """``os.environ`` plus a ``PYTHONPATH`` entry that blocks ``modules`` in subprocesses."""
    site = tmp_path / "without-site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(blocking(*modules), encoding="utf-8")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH", "")]))
    return env
