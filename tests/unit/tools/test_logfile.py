"""Library noise goes to the log, whoever writes it; the terminal is back afterwards.

Played out in a child process of its own: pytest's capturing replaces the very streams and
descriptors that `output_to` redirects."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tools.logfile import tail

ROOT = Path(__file__).parents[3]


def run(tmp_path: Path, body: str) -> subprocess.CompletedProcess[str]:
    script = textwrap.dedent("""
        import logging, os, subprocess, sys
        from pathlib import Path
        from tools.logfile import output_to
        logging.basicConfig()  # a handler on sys.stderr made before the redirection, as Rasa's
        log = Path(sys.argv[1])
    """) + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", script, str(tmp_path / "logs" / "train.log")], cwd=ROOT,
                          capture_output=True, text=True, env={"PYTHONPATH": str(ROOT)})


def test_python_c_level_and_child_output_land_in_the_log(tmp_path: Path) -> None:
    result = run(tmp_path, """
        with output_to(log):
            print("from print")
            logging.warning("from logging")
            os.write(2, b"from C\\n")  # TensorFlow's C++ messages go straight to fd 2
            subprocess.run([sys.executable, "-c", "print('from a child')"], check=True)
        print("model: ok")
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "model: ok\n" and result.stderr == ""
    text = (tmp_path / "logs" / "train.log").read_text()
    assert all(f"from {what}" in text for what in ("print", "logging", "C", "a child"))
    assert "from a child" in tail(tmp_path / "logs" / "train.log", 5)


def test_the_terminal_is_back_when_the_work_fails(tmp_path: Path) -> None:
    result = run(tmp_path, """
        try:
            with output_to(log):
                raise RuntimeError("training crashed")
        except RuntimeError:
            print("training failed", file=sys.stderr)
    """)
    assert result.stderr == "training failed\n"
