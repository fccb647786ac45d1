"""Where a load's CPU goes: seconds used by the server's processes (by role), PostgreSQL,
Redis and the load generator itself, read from /proc before and after a run.

A throughput figure on a shared 2-core machine says little about sizing; CPU per request by
part does (docs/DEPLOYMENT.md derives its instance counts from it), and it shows how far a
target is from what the machine can give at all: two cores over the total per request.
"""

from __future__ import annotations

import os
import resource
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
API = "API workers"
JOBS = "jobs worker"
DATABASE = "PostgreSQL"
REDIS = "Redis"
CLIENT = "load generator"
PARTS = (API, JOBS, DATABASE, REDIS, CLIENT)


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds so far) of a live process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK


def _cmdline(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace")


def _own() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class CpuMeter:
    """CPU seconds per part between `start()` and `stop()`; the server is the process tree
    under `server_pid` (its `cityloop worker` child counted apart from the API workers)."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self._before: dict[int, tuple[str, float]] = {}
        self._own = 0.0

    def _snapshot(self) -> dict[int, tuple[str, float]]:
        stats = {pid: s for pid in _pids() if (s := _stat(pid)) is not None}
        parent = {pid: s[0] for pid, s in stats.items()}
        out: dict[int, tuple[str, float]] = {}
        for pid, (_, seconds) in stats.items():
            part = self._part(pid, parent)
            if part is not None:
                out[pid] = (part, seconds)
        return out

    def _part(self, pid: int, parent: dict[int, int]) -> str | None:
        cmd = _cmdline(pid)
        program = os.path.basename(cmd.split(" ", 1)[0])
        if program in ("postgres", "postgres:"):  # the postmaster; its children retitle
            return DATABASE
        if program == "redis-server":
            return REDIS
        p = pid
        while p > 1:
            if p == self.server_pid:
                return JOBS if "cityloop.cli worker" in cmd else API
            p = parent.get(p, 0)
        return None

    def start(self) -> None:
        self._before, self._own = self._snapshot(), _own()

    def stop(self) -> dict[str, float]:
        after = self._snapshot()
        used = dict.fromkeys(PARTS, 0.0)
        for pid, (part, seconds) in after.items():
            # A process started during the run counts from zero.
            used[part] += seconds - self._before.get(pid, (part, 0.0))[1]
        used[CLIENT] = _own() - self._own
        return used


def _pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def render(columns: dict[str, tuple[dict[str, float], int]], cores: int) -> str:
    """A table of CPU milliseconds per request by part, one column per measured endpoint
    (its CPU seconds by part and its request count), and the rate that `cores` cores could
    sustain at that cost."""
    names = list(columns)
    width = max(18, *(len(n) + 2 for n in names))
    lines = [f"{'CPU ms per request':<20}" + "".join(f"{n:>{width}}" for n in names)]
    totals = {n: sum(used.values()) * 1000 / count for n, (used, count) in columns.items()}
    for part in PARTS:
        cells = [used.get(part, 0.0) * 1000 / count for used, count in columns.values()]
        if any(c >= 0.005 for c in cells):
            lines.append(f"{part:<20}" + "".join(f"{c:>{width}.2f}" for c in cells))
    lines.append(f"{'total':<20}" + "".join(f"{totals[n]:>{width}.2f}" for n in names))
    lines.append(
        f"{f'ceiling on {cores} cores':<20}"
        + "".join(f"{f'{cores * 1000 / totals[n]:,.0f}/s':>{width}}" for n in names)
    )
    return "\n".join(lines)
