"""Reports for real: Debian's Chromium prints a rendered report to a PDF whose text is Chinese, and
on the running stack a complaint sent through the bot is counted in the report that
`python -m handoff.reports` writes, which a supervisor then lists and downloads from the
service (an agent may not).

Chinese is checked in the PDF's own text layer: with `pdftotext` when it is installed, else in
the fonts' ToUnicode maps, which list every character the page drew with that font (a page
whose Chinese fell back to empty boxes would have none).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import urllib.error
import urllib.request
import zlib
from datetime import date, datetime
from email.message import Message
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from core.settings import load
from handoff.reports.pdf import PdfUnavailable, find_chromium, html_to_pdf
from handoff.reports.render import render
from handoff.reports.schedule import daily, weekly
from tests.integration.conftest import Agent, Customer, create_agent
from tests.unit.handoff.reports.sample import page
from tools.stack import PY, Stack

ROOT = Path(__file__).resolve().parents[2]
COMPLAINT = "你们的退款三周了还没到账，订单20251103887，太过分了"


def chromium() -> str:
    try:
        return find_chromium()
    except PdfUnavailable:
        pytest.fail("the report tests print with Debian's Chromium: apt-get install chromium (scripts/setup.sh)")


def pdf_text(pdf: Path) -> str:
    """The PDF's text: pdftotext's if installed, else every character of its ToUnicode maps."""
    if shutil.which("pdftotext"):
        return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    chars: set[str] = set()
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf.read_bytes(), re.S):
        try:
            cmap = zlib.decompress(stream)
        except zlib.error:
            continue
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
            for _, target in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                chars.update(bytes.fromhex(target.decode()).decode("utf-16-be", "replace"))
        for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
            for low, high, first in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                chars.update(chr(int(first, 16) + n) for n in range(int(high, 16) - int(low, 16) + 1))
    return "".join(sorted(chars))


def has_words(text: str, *words: str) -> bool:
    """Every word in the text; without pdftotext the text is a set of characters, so per character."""
    if shutil.which("pdftotext"):
        return all(word in text for word in words)
    return all(ch in text for word in words for ch in word)


def test_chromium_prints_a_report_with_its_chinese(tmp_path: Path) -> None:
    chromium()
    period = weekly(date(2026, 11, 23))
    html = tmp_path / f"{period.name}.html"
    html.write_text(render(page(), period, datetime(2026, 11, 30, 6, 0)), encoding="utf-8")
    pdf = tmp_path / f"{period.name}.pdf"
    html_to_pdf(html, pdf)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and len(data) > 20_000
    assert b"WenQuanYi" in data  # the CJK font scripts/setup.sh installs is embedded
    text = pdf_text(pdf)
    assert has_words(text, "客服周报", "退款", "满意度"), text[:500]


def get(stack: Stack, token: str, path: str) -> tuple[int, Message, bytes]:
    """Status, headers (case-insensitive) and body of a GET with the token."""
    request = urllib.request.Request(f"{stack.handoff_url}{path}", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def test_a_complaint_reaches_the_written_report_which_a_supervisor_downloads(stack: Stack, supervisor: Agent) -> None:
    chromium()
    customer = Customer(stack, "report-customer")
    customer.say(COMPLAINT)
    cases = supervisor.call("GET", "/cases")["cases"]
    assert any(c["conversation_id"] == customer.conversation_id for c in cases), cases
    today = datetime.now(ZoneInfo(load().handoff_tz)).date()
    result = subprocess.run([PY, "-m", "handoff.reports", "--daily", today.isoformat()], env=stack._environment(),
                            capture_output=True, text=True, cwd=str(ROOT), timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    written = [Path(line) for line in result.stdout.split()]
    name = daily(today).name
    assert [p.name for p in written] == [f"{name}.html", f"{name}.pdf"]
    html = written[0].read_text(encoding="utf-8")
    row = html.split("<td>工单 Cases</td>", 1)[1].split("</tr>", 1)[0]
    assert re.search(r"<strong>[1-9]\d*</strong>", row), row  # the complaint above, at least

    status, _, body = get(stack, supervisor.token, "/reports")
    listed = json.loads(body)["reports"]
    assert status == 200 and listed[0]["name"] == name
    assert listed[0]["files"] == {"html": f"/reports/{name}.html", "pdf": f"/reports/{name}.pdf"}
    status, headers, pdf = get(stack, supervisor.token, listed[0]["files"]["pdf"])
    assert status == 200 and pdf.startswith(b"%PDF-") and pdf == written[1].read_bytes()
    assert headers["Content-Type"] == "application/pdf" and headers["Content-Disposition"].startswith("attachment")
    status, headers, page_body = get(stack, supervisor.token, listed[0]["files"]["html"])
    assert status == 200 and "script-src 'none'" in headers["Content-Security-Policy"]
    assert "客服日报" in page_body.decode("utf-8")

    agent = create_agent(stack, "report-agent", "agent")
    assert get(stack, agent.token, "/reports")[0] == 403
    assert get(stack, agent.token, listed[0]["files"]["pdf"])[0] == 403
