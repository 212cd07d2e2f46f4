"""The reports folder (REPORTS_DIR, default var/reports): what is in it, newest first, and how a
file gets there.

Every file is written to a hidden temporary name in the same folder and renamed into place
(`os.replace`, atomic on one file system), so a crash or a full disk leaves at most a stray
temporary file, never a half report under a real name; the listing only shows names this
module writes (`FILE`), so temporary files and anything else put there stay invisible.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Optional

from core.files import replace_whole
from handoff.reports.schedule import Period, period_of

FILE = re.compile(r"((?:daily|weekly)-[0-9]{4}-[0-9]{2}-[0-9]{2})\.(html|pdf)")  # ASCII, whole names (fullmatch)
KINDS = ("html", "pdf")
TEMP_PREFIX = ".tmp-"
MEDIA_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}


class BadName(ValueError):
    """A file name this folder never holds: refused before it is joined to any path."""


@dataclass(frozen=True)
class ReportFile:
    path: Path
    kind: str  # html | pdf

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.kind]


class ReportFolder:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, period: Period, kind: str) -> Path:
        return self.root / f"{period.name}.{kind}"

    def has(self, period: Period, kind: str) -> bool:
        return self.path(period, kind).is_file()

    def file(self, name: str) -> Optional[ReportFile]:
        """The report file `name` ("daily-2026-12-02.pdf"); BadName unless it is a name this module
        writes; None if there is no such file (yet)."""
        found = FILE.fullmatch(name)
        if found is None or period_of(found.group(1)) is None:
            raise BadName(f"{name[:80]!r} is not a report file name (like daily-2026-12-02.html)")
        path = self.root / name
        return ReportFile(path, found.group(2)) if path.is_file() else None

    def write(self, period: Period, kind: str, produce: Callable[[Path], None]) -> Path:
        """`produce(temporary_path)` fills a temporary file, which then becomes the report's file."""
        replace_whole(self.path(period, kind), produce, prefix=f"{TEMP_PREFIX}{period.name}.", suffix=f".{kind}")
        return self.path(period, kind)

    def write_text(self, period: Period, kind: str, text: str) -> Path:
        def produce(path: Path) -> None:
            with open(path, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())  # on disk before the rename makes it a report

        return self.write(period, kind, produce)

    def listing(self) -> list[dict[str, Any]]:
        """`GET /reports`: one entry per report with the files it has, newest period first (the
        latest day first; a weekly report before the daily one of its Sunday)."""
        found: dict[str, dict[str, Path]] = {}
        try:
            names = os.listdir(self.root)
        except FileNotFoundError:
            return []
        for name in names:
            match = FILE.fullmatch(name)
            if match and period_of(match.group(1)) is not None and (self.root / name).is_file():
                found.setdefault(match.group(1), {})[match.group(2)] = self.root / name
        entries = []
        for base, files in found.items():
            period = period_of(base)
            assert period is not None
            first = files.get("html") or files["pdf"]
            entries.append((period, {
                "name": base, "period": period.kind, "from": period.start.isoformat(), "to": period.end.isoformat(),
                "created_at": _mtime(first),
                "files": {kind: f"/reports/{files[kind].name}" for kind in KINDS if kind in files}}))
        entries.sort(key=lambda e: (e[0].end, e[0].days), reverse=True)
        return [entry for _, entry in entries]


def _mtime(path: Path) -> str:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).isoformat(timespec="seconds")
    except FileNotFoundError:  # removed between the listing and now
        return ""
