"""HTML → PDF with the Chromium the project already installs for its browser tests (Debian's
`chromium`, scripts/setup.sh), headless: the PDF is the report page exactly as a browser prints
it, Chinese included (fonts-wqy-microhei), with no PDF library to pin and keep in step.

Chromium runs as a subprocess with its own throw-away profile (a service user may have no
writable home) and a timeout; on a timeout its whole process group is ended, so a hung renderer
never outlives the call.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import Optional

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT_S = 120.0


class PdfUnavailable(RuntimeError):
    """No Chromium to print with: the HTML report stands alone until one is installed."""


class PdfFailed(RuntimeError):
    """Chromium ran but made no PDF (crashed, timed out, wrote nothing)."""


def find_chromium(explicit: Optional[str] = None) -> str:
    """CHROMIUM (or `explicit`) if set, else the first Chromium on PATH, else /usr/bin/chromium."""
    wanted = explicit or os.environ.get("CHROMIUM")
    if wanted:
        found = shutil.which(wanted)
        if found:
            return found
        raise PdfUnavailable(f"CHROMIUM={wanted!r} is not an executable")
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    raise PdfUnavailable("no Chromium to print PDF reports with: apt-get install chromium (scripts/setup.sh does)")


def html_to_pdf(html: Path, pdf: Path, *, chromium: Optional[str] = None, timeout: float = TIMEOUT_S) -> None:
    """Prints the page `html` to `pdf` (A4, the page's own @page margins, no header or footer)."""
    binary = find_chromium(chromium)
    with tempfile.TemporaryDirectory(prefix="report-chromium-") as profile:
        command = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                   "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                   f"--user-data-dir={profile}", "--no-pdf-header-footer", "--print-to-pdf-no-header",
                   f"--print-to-pdf={pdf}", html.resolve().as_uri()]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   stdin=subprocess.DEVNULL, start_new_session=True,
                                   env={**os.environ, "HOME": profile})
        try:
            _, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _end(process)
            raise PdfFailed(f"Chromium did not print {html.name} within {timeout:.0f} s") from None
        finally:
            _end(process)  # its helpers (zygote, GPU, utility processes) share its process group
    if process.returncode != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
        tail = stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise PdfFailed(f"Chromium exited {process.returncode} without a PDF of {html.name}: {' | '.join(tail)}")


def _end(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()
