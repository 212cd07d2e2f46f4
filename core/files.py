"""Replacing a file whole: what caches, reports and trained state use so that a reader, or a
process running beside the writer, never sees half a file.

The content goes to a temporary file of its own in the target's folder (a unique name, so two
writers at once never share one, and the same file system, so the rename is atomic) and is then
renamed over the target. A writer that fails or is killed leaves the target as it was; a failure
also removes the temporary file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable


def replace_whole(path: Path, produce: Callable[[Path], object], prefix: str = "", suffix: str = ".tmp") -> None:
    """`produce(temporary)` fills a temporary file, which then replaces `path` in one rename.
    `prefix` and `suffix` name the temporary file (default: `.{path.name}.` and `.tmp`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=prefix or f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(handle)
    try:
        produce(Path(temporary))
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)
