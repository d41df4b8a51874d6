"""``python -m flowwire.benchmark``: the same as ``flowwire bench``."""

from __future__ import annotations

import sys

from flowwire.benchmark.cli import main

if __name__ == "__main__":
    sys.exit(main())
