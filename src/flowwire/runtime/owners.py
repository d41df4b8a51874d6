"""Who holds a run of a shared store, and whether that process is still alive.

Every kernel that writes to a SQLite store registers an *owner*: its host name, boot id, pid
and the start time of that process. A run (its decisions and its activity attempts) belongs to
one owner at a time. Another kernel may take a run over only when its owner is gone:

* on the same host and boot (the only case SQLite's WAL mode supports: the file's shared
  memory needs one machine), the owner is alive exactly while a process with its pid and its
  start time exists and is not a zombie; a pid reused by a later process does not count;
* otherwise (another host name, for example a container sharing the volume), when its lease
  expired: the owner renews ``beat_at`` with every commit and while idle.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Owner", "boot_id", "process_start", "this_process"]


@dataclass(frozen=True, slots=True)
class Owner:
    """A registered owner (one row of the store's ``owners`` table)."""

    owner_id: str
    host: str
    boot: str
    pid: int
    pid_start: str
    beat_at: float

    def is_alive(self, now: float, lease: float) -> bool:
        """Whether the process is still alive (same host), or its lease has not expired."""
        host, boot, _, _ = this_process()
        if self.host == host and self.boot == boot:
            started = process_start(self.pid)
            return started is not None and (not self.pid_start or started == self.pid_start)
        return self.beat_at + lease > now


def boot_id() -> str:
    """This boot of the machine (Linux: ``/proc/sys/kernel/random/boot_id``; else empty)."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def process_start(pid: int) -> str | None:
    """The start time of process ``pid`` (clock ticks since boot, from ``/proc``), ``""`` when
    the system does not say, or ``None`` when no live process has that pid (zombies count as
    gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:
        stat = ""
    if stat:
        fields = stat.rsplit(")", 1)[1].split()
        return None if fields[0] in ("Z", "X") else fields[19]
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return ""


_IDENTITY: dict[int, tuple[str, str, int, str]] = {}


def this_process() -> tuple[str, str, int, str]:
    """``(host, boot, pid, pid_start)`` of the calling process (kept per pid: a forked child
    computes its own)."""
    pid = os.getpid()
    found = _IDENTITY.get(pid)
    if found is None:
        found = _IDENTITY[pid] = (socket.gethostname(), boot_id(), pid, process_start(pid) or "")
    return found
