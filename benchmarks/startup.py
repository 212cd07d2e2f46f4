"""Start-up without retraining: how long `make train` and `make run` take when the model is
already the model of the data and config. Writes the section "Start-up without retraining" of
docs/benchmarks.md.

Works on a copy of the trained model in a temporary MODEL_DIR, with every port free and its own
var/ directory, so a running `make run` and models/ are left alone. Measured:

- `python -m tools.train` on the copy: first with no stamp (Rasa's dry run decides), then again
  (the stamp decides, Rasa is not imported);
- `python -m tools.train` followed by `python -m tools.launcher` (what `make run` does), from
  the start until every part answers: the handoff service's /ready says 200 (Redis, the
  database, Rasa with its token, the action server; what `make run` waits on before it prints
  "assistant is ready"), and every one of Rasa's Sanic workers has loaded the model (each
  loads its own after the fork and logs "Rasa server is up and running."; /status is answered
  by whichever worker is up first); then SIGINT, and how long stopping takes.

    python -m benchmarks.startup [--no-doc]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Optional

from benchmarks.report import DOC, machine, now, replace_section
from core.settings import ROOT, load
from tools.stack import PY, free_port
from tools.train import model_path

HEADING = "## Start-up without retraining"


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status < 500)
    except urllib.error.HTTPError as exc:
        return exc.code < 500  # Rasa's /status without a token: 401, but Rasa is up
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def all_ready(url: str) -> bool:
    """The handoff service's /ready: 200 only when Redis, the database, Rasa and the action server answer."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


RASA_UP = "Rasa server is up and running."


def rasa_workers_up(log: Path) -> int:
    """How many Rasa workers have loaded the model, from Rasa's own log line (one per worker)."""
    try:
        return log.read_text(encoding="utf-8", errors="replace").count(RASA_UP)
    except OSError:
        return 0


def timed_train(env: dict[str, str]) -> tuple[float, str]:
    started = time.monotonic()
    result = subprocess.run([PY, "-m", "tools.train"], env=env, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        raise RuntimeError(f"tools.train failed: {result.stderr[-2000:]}")
    last = [line for line in result.stdout.splitlines() if line.strip()][-1]
    return elapsed, last


def timed_run(env: dict[str, str], ports: dict[str, int], timeout: float = 300) -> dict[str, float]:
    """`make run` without make: train (a no-op here), then the launcher until every part answers.
    Returns seconds: the train step, until /ready and the health URLs answer, until every Rasa
    worker has loaded the model too, and how long stopping took."""
    workers = load(env).rasa_workers
    rasa_log = Path(env["SHOP_VAR_DIR"]) / "logs" / "rasa.log"
    started = time.monotonic()
    train_s, _ = timed_train(env)
    launcher = subprocess.Popen([PY, "-m", "tools.launcher"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    urls = [f"http://127.0.0.1:{ports['HANDOFF_PORT']}/health", f"http://127.0.0.1:{ports['RASA_PORT']}/status",
            f"http://127.0.0.1:{ports['ACTION_PORT']}/health"]
    ready_url = f"http://127.0.0.1:{ports['HANDOFF_PORT']}/ready"
    ready_s = 0.0  # 0 until everything answers
    try:
        deadline = started + timeout
        while True:
            if not ready_s and all(answers(u) for u in urls) and all_ready(ready_url):
                ready_s = time.monotonic() - started
            if ready_s and rasa_workers_up(rasa_log) >= workers:
                break
            if launcher.poll() is not None:
                raise RuntimeError(f"the launcher exited with code {launcher.returncode}")
            if time.monotonic() > deadline:
                up = rasa_workers_up(rasa_log)
                raise TimeoutError(f"not everything answered within {timeout:.0f} s (/ready: {bool(ready_s)}, "
                                   f"{up} of {workers} Rasa workers up)")
            time.sleep(0.2)
        workers_s = time.monotonic() - started
    finally:
        stopping = time.monotonic()
        launcher.send_signal(signal.SIGINT)
        try:
            launcher.wait(60)
        except subprocess.TimeoutExpired:
            launcher.kill()
            launcher.wait()
    return {"run_train": train_s, "ready": ready_s, "workers": workers_s, "rasa_workers": workers,
            "stop": time.monotonic() - stopping}


def section(figures: dict[str, float], lines: dict[str, str]) -> str:
    m = machine()
    parts = "handoff /ready 200: Redis, database, Rasa, action server; and /health, /status"
    each = f'each logs "{RASA_UP}"'
    return f"""{HEADING}

Measured {now()} on {m['nproc']} cores ({m['cpu']}, {m['memory_mb']} MB, load average
{m['load_average']:.1f} at the end), with `python -m benchmarks.startup`: a copy of the trained model
in its own MODEL_DIR, every port free, its own var/.

| what | seconds |
|---|---|
| `make train`, model up to date, no stamp yet (Rasa's dry run decides) | {figures['dry']:.1f} |
| `make train`, model up to date (the stamp decides; Rasa is not imported) | {figures['noop']:.1f} |
| `make run`, model up to date: until every part answers ({parts}) | {figures['ready']:.1f} |
| … and until all {figures['rasa_workers']:.0f} Rasa workers have loaded the model ({each}) | {figures['workers']:.1f} |
| … of which the `make train` step | {figures['run_train']:.1f} |
| stopping it with Ctrl-C (SIGINT) | {figures['stop']:.1f} |

`make train` said: `{lines['dry']}`, then `{lines['noop']}`.

Before, `make run` retrained an unchanged model on every start (94 s, then 86 s, before any
process started). Two causes:

- **Rasa's cache never matched three components.** `rasa.model_training.train` always runs the
  training graph and relies on its cache (`.rasa/cache`) to skip unchanged steps. Every step is
  keyed on a fingerprint of its input, the shared training data. Our linear heads cached each
  message's sentence row in `message.data` (`bot/components/features.py`); that is part of the
  message's fingerprint. So once the emotion head had trained, the training data had changed under
  the intent, risk and severity heads: their cache entries were stored under keys that the next
  run never computes, and they, and the whole featurisation feeding them, ran again on every
  start. The row is now kept outside the fingerprinted data.
- **Even a fully cached training is not free.** It reloads and validates the data, loads the
  cached steps and repackages the archive. `tools/train.py` now asks first: a stamp next to the
  model (`shop.tar.gz.stamp`: a digest of config, domain, `nlu_data/`, the components' Python, the
  spaCy pipeline's source, the installed package versions and the model file) decides in about a
  second. Without a stamp, Rasa's dry run (`train(..., dry_run=True)`, code 0 = every step cached)
  decides. A model whose stamp names other inputs is rebuilt from the cache: edit, train and
  revert leaves the cache complete but the model stale.

Every check compares content, never file times. A fresh `git clone` gives all files new mtimes,
so `tools/spacy_build.py` now keeps the digest of the patterns it was built from in
`build/spacy_shop/patterns.sha256` instead of comparing mtimes. A forced full retraining
(`python -m tools.train --force`) takes about three minutes here and is not part of this table.
"""


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-doc", action="store_true", help="print the section, do not write docs/benchmarks.md")
    args = parser.parse_args(argv)
    source = Path(model_path())
    if not source.exists():
        print("no trained model: run `make train`", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="startup-") as tmp:
        models, var = Path(tmp) / "models", Path(tmp) / "var"
        models.mkdir()
        var.mkdir()
        shutil.copy(source, models / source.name)
        ports = {"RASA_PORT": free_port(), "ACTION_PORT": free_port(), "HANDOFF_PORT": free_port()}
        env = {**os.environ, "PYTHONPATH": str(ROOT), "MODEL_DIR": str(models), "SHOP_VAR_DIR": str(var),
               "REDIS_URL": f"redis://localhost:{free_port()}/0", "TF_CPP_MIN_LOG_LEVEL": "2",
               "RASA_TELEMETRY_ENABLED": "false", "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
               **{k: str(v) for k, v in ports.items()}}
        env.pop("DATABASE_URL", None)
        env.pop("RASA_URL", None)
        env.pop("ACTION_URL", None)
        dry_s, dry_line = timed_train(env)
        noop_s, noop_line = timed_train(env)
        if not noop_line.startswith("model is up to date"):
            raise RuntimeError(f"the second `make train` was not a no-op: {noop_line}")
        run = timed_run(env, ports)
    text = section({"dry": dry_s, "noop": noop_s, **run}, {"dry": dry_line, "noop": noop_line})
    print(text)
    if not args.no_doc:
        DOC.write_text(replace_section(DOC.read_text(encoding="utf-8"), text, HEADING), encoding="utf-8")
        print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
