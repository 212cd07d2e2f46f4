"""The plain `rasa init` bot every speed figure is compared with, built and started as Rasa makes it."""

from __future__ import annotations

import json
import secrets
import subprocess
from pathlib import Path
from typing import Any

from benchmarks.processes import environment, run_logged
from benchmarks.report import now
from tools.stack import RASA

BASELINE_NAME = "baseline"


BASELINE_MARKER = "benchmark-baseline.json"


def build_baseline(directory: Path, log_dir: Path) -> dict[str, Any]:
    """`rasa init` + a timed `rasa train`, or the baseline already trained in `directory` by an earlier run.

    `rasa init --no-prompt` trains a first model on its own; the timed `rasa train` uses `--force`
    so that Rasa's cache of that first training does not turn the measurement into a cache restore.
    """
    model = directory / "models" / f"{BASELINE_NAME}.tar.gz"
    marker = directory / BASELINE_MARKER
    if model.is_file():
        info: dict[str, Any] = json.loads(marker.read_text()) if marker.is_file() else {"train_s": None}
        print(f"reusing the plain Rasa baseline in {directory}", flush=True)
        return {**info, "model": str(model), "reused": True}
    directory.mkdir(parents=True, exist_ok=True)
    env = environment()
    print(f"building the plain Rasa baseline in {directory} (rasa init trains once, then the timed rasa train)",
          flush=True)
    init_s = run_logged([RASA, "init", "--no-prompt", "--init-dir", str(directory)], directory, env,
                        log_dir / "baseline-init.log")
    train_s = run_logged([RASA, "train", "--fixed-model-name", BASELINE_NAME, "--force"], directory, env,
                         log_dir / "baseline-train.log")
    info = {"init_s": round(init_s, 1), "train_s": round(train_s, 1),
            "command": f"rasa train --fixed-model-name {BASELINE_NAME} --force", "trained_at": now()}
    marker.write_text(json.dumps(info, indent=2))
    return {**info, "model": str(model), "reused": False}


def start_baseline(model: Path, directory: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    """`rasa run` of the plain bot with its own endpoints and credentials, exactly as `rasa init` made them."""
    token = secrets.token_urlsafe(16)
    args = [RASA, "run", "--model", str(model), "--port", str(port), "--enable-api", "--auth-token", token]
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        proc = subprocess.Popen(args, cwd=directory, env=environment(), stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    return proc

