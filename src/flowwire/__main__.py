"""``python -m flowwire``: the same as the ``flowwire`` command."""

from __future__ import annotations

import sys

from flowwire.cli import main

if __name__ == "__main__":
    sys.exit(main())
