"""The trainers' loop end to end, on the running assistant (Issue 13, "Done when"):

1. a message the bot did not understand reaches the inbox within 10 s;
2. a trainer labels it in the browser;
3. the review file has the label;
4. the retraining runs from the trainer's page, passes the gate, and every Rasa worker loads the
   new version without a restart;
5. the running bot now understands the same message;
7. `make rollback` brings the previous version back within 30 s, and with it the old answer.

Step 6 (a deliberately bad label set is blocked by the gate) is
tests/integration/test_model_versions.py::test_a_bad_label_set_is_blocked_by_the_gate: it trains
on a copy of the data, so this stack's model is left alone. Run with `-s` for the figures.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.request
from typing import Any, Callable, Iterator

import pytest
from playwright.sync_api import expect

from handoff.training.versions import archive_of, current_version, registry_dir
from tests.integration import test_console
from tests.integration.conftest import Customer, create_agent
from tests.integration.test_console import Console
from tests.integration.test_model_versions import ROOT, model_id_of, served_ids, until
from tests.integration.test_training_page import message, review_file, wait_for_items
from tools.stack import PY, Stack

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


def parse(stack: Stack, text: str) -> dict[str, Any]:
    request = urllib.request.Request(f"{stack.rasa_url}/model/parse?token={stack.auth_token}",
                                     data=json.dumps({"text": text}).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as answer:
        return dict(json.loads(answer.read()))


def test_a_misunderstood_message_is_labelled_retrained_understood_and_rolled_back(
        stack: Stack, open_console: Callable[..., Console]) -> None:
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
    state = page.locator("#job-state")
    # How long a whole training takes is not what this test is about (docs/training.md, "How long a
    # retraining takes"): on a 2-core machine about 1.5 times slower than at stop 38 a retraining
    # took over 20 minutes at stop 40, so the wait is a bound against a job that never ends.
    expect(state).to_have_attribute("data-state", re.compile("^(promoted|blocked|failed)$"), timeout=RETRAIN_WAIT_MS)
    assert state.get_attribute("data-state") == "promoted", page.locator("#job-log").text_content()
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
    print(f"\ninbox {inbox_s:.1f} s; labelled, retrained and loaded {retrain_s:.0f} s after the message; "
          f"rollback {rollback_s:.1f} s; confidence now {understood['intent']['confidence']:.2f}")
