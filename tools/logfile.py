"""Sends a noisy library's output to a log file, so a terminal shows people only what they need.

Rasa's training writes pages of logging, TensorFlow's C++ messages, deprecation warnings and
progress bars; `make run` and `make train` show one line instead and keep the rest in
var/logs/train.log. The redirection is at the file-descriptor level, so output from C libraries
and from logging handlers that hold on to the original sys.stderr lands there too.
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def output_to(path: Path) -> Iterator[None]:
    """Meanwhile, everything written to stdout and stderr is appended to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(path, "ab") as log:
        log.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(sys.argv)}\n".encode())
        log.flush()
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def tail(path: Path, lines: int = 20) -> str:
    """The end of a log, for an error message that should not make a person open the file."""
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
