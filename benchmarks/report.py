"""What every benchmark's report shares: the machine it ran on, the time, and the one document
(docs/benchmarks.md) whose sections each benchmark replaces without touching the others'."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

from core.settings import ROOT

DOC = ROOT / "docs" / "benchmarks.md"


def now() -> str:
    """UTC, so that runs on machines in different time zones compare."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def machine() -> dict[str, Any]:
    """What a reader needs to judge the numbers: cores, CPU, memory and how busy the machine was."""
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    try:
        nproc = int(subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout)
    except (OSError, ValueError, subprocess.CalledProcessError):
        nproc = os.cpu_count() or 0
    mem_mb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_mb = int(line.split()[1]) // 1024
    return {"nproc": nproc, "cpu": cpu, "memory_mb": mem_mb, "load_average": os.getloadavg()[0],
            "python": platform.python_version(), "kernel": platform.release()}


def cell(value: Optional[float], digits: int = 1) -> str:
    """Markdown cell that shows a missing number honestly."""
    return "–" if value is None else f"{value:.{digits}f}"


def replace_section(document: str, section: str, heading: str) -> str:
    """Swaps in our section and keeps every other one, so other benchmarks can share the file."""
    lines = document.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == heading), None)
    if start is None:
        body = document.rstrip("\n")
        return (body + "\n\n" if body else "# Benchmarks\n\n") + section
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith(("# ", "## "))), len(lines))
    rest = "".join(lines[end:])
    return "".join(lines[:start]) + section + ("\n" + rest if rest else "")

