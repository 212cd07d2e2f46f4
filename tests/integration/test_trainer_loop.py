"""The trainers' loop end to end, on the running assistant (Issue 13, "Done when"):

1. a message the bot did not understand reaches the inbox within 10 s;
2. a trainer labels it in the browser;
3. the review file has the label;
4. the retraining runs from the trainer's page, passes the gate, and every Rasa worker loads the
   new version without a restart;
5. the running bot now understands the same message;
6. a deliberately bad label set is blocked by the gate;
7. `make rollback` brings the previous version back within 30 s, and with it the old answer.

Step 6 trains on a copy of the data into a registry of its own, so this stack's model is left
alone, and it runs while the page's retraining runs. Why beside it: a training keeps one of the two
cores idle for much of its time (single-threaded featurising, the last fold of a head), so the two
trainings side by side take less than one after the other, and they were most of the end-to-end
tests' time. Run with `-s` for the figures.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import urllib.request
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from playwright.sync_api import expect

from handoff.training.versions import archive_of, current_version, registry_dir, versions
from tests.integration import test_console
from tests.integration.conftest import Customer, create_agent
from tests.integration.test_console import Console
from tests.integration.test_model_versions import ROOT, model_id_of, served_ids, until
from tests.integration.test_training_page import message, review_file, wait_for_items
from tools import models
from tools.stack import PY, Stack
from tools.train import model_path

browser, open_console = test_console.browser, test_console.open_console  # the console tests' Chromium set-up

# Measured on the trained model before writing this test: Rasa's fallback (confidence 0.30, top-2
# margin 0.06). A shipping question in words the training data does not have.
MISUNDERSTOOD = "can my grandpa collect the box using his pension card"
LABEL = "query_shipping"
ASK = "can i please talk to a real person, it's urgent"
RETRAIN_WAIT_MS = 45 * 60 * 1000


@pytest.fixture(autouse=True)
def patient_pages() -> Iterator[None]:
    """The page waits here are bounds against a page that never loads, not speed checks
    (Playwright's default is 5 s): on a busy 2-core machine the trainers' first page took longer
    (stop 42, with other tests running beside this one). The loop's timed steps keep their bounds:
    the inbox within 10 s, the rollback within 30 s."""
    expect.set_options(timeout=30_000)
    yield
    expect.set_options(timeout=5_000)


BAD_SWAPS = {"query_order_status": "query_refund_status", "query_refund_status": "query_shipping",
             "query_shipping": "query_order_status"}


def bad_labels(data: Path) -> None:
    """A deliberately bad label set: three intents' examples rotated. (Making every severe label
    `none` is worse still, but then SeverityGrader has no severe class to learn and the training
    itself fails, which is a failed job rather than a blocked one.)"""
    for path in (data / "nlu").glob("*.yml"):
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"^- intent: (\S+)$", lambda m: f"- intent: {BAD_SWAPS.get(m.group(1), m.group(1))}", text,
                      flags=re.MULTILINE)
        path.write_text(text, encoding="utf-8")


def retrain_on_bad_labels(folder: Path) -> subprocess.CompletedProcess[str]:
    """`tools.retrain` on a copy of the data with `bad_labels`, against the trained model adopted
    in a registry of its own under `folder`. Its own Rasa cache too: two trainings at once would
    otherwise write one cache database."""
    data = folder / "nlu_data"
    shutil.copytree(ROOT / "nlu_data", data)  # the repository's data is never touched
    bad_labels(data)
    models.adopt(Path(model_path()), folder / "models")
    return subprocess.run([PY, "-m", "tools.retrain", "--data", str(data), "--registry", str(folder / "models"),
                           "--report", str(folder / "report.json"), "--log", str(folder / "retrain.log")],
                          cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "RASA_CACHE_DIRECTORY": str(folder / "rasa-cache")})


def check_blocked(folder: Path, result: subprocess.CompletedProcess[str]) -> str:
    """Step 6's verdict: blocked (exit 2), nothing promoted, English intent accuracy among the
    failed rules; returns the line of figures."""
    assert result.returncode == 2, result.stdout + result.stderr
    report = json.loads((folder / "report.json").read_text())
    assert not report["passed"] and not report["promoted"]
    failed = {(r["metric"], r["language"]) for r in report["gate"] if not r["passed"]}
    assert ("intent_accuracy", "en") in failed
    registry = folder / "models"
    assert versions(registry) == ["v1"] and current_version(registry) == "v1"
    return (f"bad labels blocked: {sorted(failed)}; training {report['train_seconds']:.0f} s, "
            f"in all {report['seconds']:.0f} s")


def parse(stack: Stack, text: str) -> dict[str, Any]:
    request = urllib.request.Request(f"{stack.rasa_url}/model/parse?token={stack.auth_token}",
                                     data=json.dumps({"text": text}).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as answer:
        return dict(json.loads(answer.read()))


def test_a_misunderstood_message_is_labelled_retrained_understood_and_rolled_back(
        stack: Stack, open_console: Callable[..., Console], tmp_path: Path) -> None:
    root = registry_dir(stack.var_dir)
    before = current_version(root)
    assert before is not None
    old_id = model_id_of(archive_of(root, before))
    assert parse(stack, MISUNDERSTOOD)["intent"]["name"] != LABEL

    # 1. Said by a customer; in the inbox within 10 s.
    customer = Customer(stack, "loop-customer")
    customer.say(MISUNDERSTOOD)
    # Then asks for a person, as a customer the bot failed does: the message is in the inbox for
    # that reason too, whatever confidence a fresh training gives it.
    customer.say(ASK)
    trainer = create_agent(stack, "loop-trainer", "trainer")
    started = time.monotonic()

    def listed() -> bool:
        groups = trainer.call("GET", "/training/inbox?sort=newest&limit=200")["groups"]
        return any(item["text"] == MISUNDERSTOOD for group in groups for item in group["items"])

    inbox_s = until(listed, 10, "the misunderstood message reaching the inbox")

    # 2. The trainer labels it in the browser: the intent typed, then `a`.
    console = open_console("en-US")
    console.sign_in(trainer, live=False)
    page = console.page
    expect(page.locator("body")).to_have_attribute("data-loads", "1")
    wait_for_items(page, [MISUNDERSTOOD], timeout=30)
    item = message(page, MISUNDERSTOOD)
    item.click(position={"x": 4, "y": 4})
    item.locator("input.other-intent").fill(LABEL)
    item.locator("input.other-intent").press("Enter")
    expect(item).to_have_attribute("data-intent", LABEL)
    item.click(position={"x": 4, "y": 4})
    page.keyboard.press("a")
    expect(message(page, MISUNDERSTOOD)).to_have_count(0)

    # 3. The label file has it, with where it came from.
    content = review_file(page).read_text(encoding="utf-8")
    assert MISUNDERSTOOD in content and f"intent: {LABEL}" in content and "loop-trainer" in content

    # 4. Retrained from the page: the gate passes and every worker serves the new version.
    page.click("#retrain")
    # 6. Meanwhile a bad label set is trained on a copy, in a thread: the page is waited on below.
    with ThreadPoolExecutor(1) as pool:
        bad: Future[subprocess.CompletedProcess[str]] = pool.submit(retrain_on_bad_labels, tmp_path / "bad")
        state = page.locator("#job-state")
        # How long a whole training takes is not what this test is about (docs/training.md, "How long a
        # retraining takes"): on a 2-core machine about 1.5 times slower than at stop 38 a retraining
        # took over 20 minutes at stop 40, so the wait is a bound against a job that never ends.
        expect(state).to_have_attribute("data-state", re.compile("^(promoted|blocked|failed)$"),
                                        timeout=RETRAIN_WAIT_MS)
        assert state.get_attribute("data-state") == "promoted", page.locator("#job-log").text_content()
        blocked = check_blocked(tmp_path / "bad", bad.result())
    expect(page.locator("#job-verdict")).to_be_visible()  # the side-by-side report with the gate's rules
    version = current_version(root)
    assert version is not None and version != before
    new_id = model_id_of(archive_of(root, version))
    rasa_pid = stack.pid("rasa")
    until(lambda: served_ids(stack) == {new_id}, 60, f"every worker serving {version}")
    retrain_s = time.monotonic() - started

    # 5. The running bot understands the same message now, without a restart.
    understood = parse(stack, MISUNDERSTOOD)
    assert understood["intent"]["name"] == LABEL, understood["intent"]
    assert stack.pid("rasa") == rasa_pid

    # 7. Rollback: the previous version within 30 s, and the old understanding with it.
    rolled = time.monotonic()
    subprocess.run([PY, "-m", "tools.models", "rollback"], cwd=ROOT, env=stack._environment(), check=True,
                   capture_output=True)
    until(lambda: served_ids(stack) == {old_id}, 30, "the rollback reaching every worker")
    rollback_s = time.monotonic() - rolled
    assert parse(stack, MISUNDERSTOOD)["intent"]["name"] != LABEL
    assert current_version(root) == before and console.errors == []
    print(f"\n{blocked}")
    print(f"inbox {inbox_s:.1f} s; labelled, retrained and loaded {retrain_s:.0f} s after the message; "
          f"rollback {rollback_s:.1f} s; confidence now {understood['intent']['confidence']:.2f}")
