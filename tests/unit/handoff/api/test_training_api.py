"""The trainers' inbox over HTTP, played by trainers, supervisors and outsiders: a stranger gets
401, an agent 403, a malformed request 400 naming what to fix (never a 5xx), and a trainer's
label lands in the review folder as Rasa data while the message leaves the inbox.

Keys no longer in the inbox are listed as `ignored` (a bulk label racing a colleague still labels
the rest); a request none of whose keys is in the inbox is a 404 that changes nothing."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any, Optional

import pytest

from core.vocabulary import EMOTIONS
from handoff.api.app import create_app
from handoff.archive import Archive
from handoff.desk import Desk
from handoff.training.paths import TrainingPaths
from handoff.training.texts import text_key
from tests.unit.handoff.api.conftest import Api, FakeRasa, app_name
from tests.unit.handoff.training.support import ROOT_DOMAIN, TRAINING_YAML

UNSURE = "这个能便宜点吗"
HESITANT = "货到了但是盒子有点怪"


def say(archive: Archive, sender: str, text: str, confidence: float, second: float = 0.05,
        intent: str = "query_payment", model: Optional[str] = "m-7") -> None:
    archive.record({"sender_id": sender, "event": "user", "timestamp": time.time(), "text": text,
                    "metadata": {"model_id": model},
                    "parse_data": {"intent": {"name": intent, "confidence": confidence},
                                   "intent_ranking": [{"name": intent, "confidence": confidence},
                                                      {"name": "greet", "confidence": second}],
                                   "emotion": {"name": "anger", "confidence": 0.8}, "language": "zh-Hans"}})


@pytest.fixture()
def paths(tmp_path: Path) -> TrainingPaths:
    data = tmp_path / "nlu_data"
    (data / "nlu").mkdir(parents=True)
    (data / "nlu" / "known.yml").write_text(TRAINING_YAML, encoding="utf-8")
    return TrainingPaths(data_dir=data, review_dir=data / "review", domain_file=ROOT_DOMAIN, root=tmp_path)


@pytest.fixture()
def trainers(desk: Desk, redis_url: str, paths: TrainingPaths) -> Api:
    app = create_app(desk, FakeRasa(), redis_url=redis_url, background=False, name=app_name(), training=paths)
    api = Api(app, desk, FakeRasa())
    for name, role in (("tom", "trainer"), ("boss", "supervisor"), ("alice", "agent")):
        api.agent(name, role)
    archive = Archive(desk.store.url)
    say(archive, "c1", UNSURE, 0.41)
    say(archive, "c2", HESITANT, 0.7, 0.62, intent="query_order_status")
    say(archive, "c3", "我的快递到哪了", 0.2)  # in the training data already
    return api


def review_file(paths: TrainingPaths) -> Path:
    [path] = sorted(paths.review_dir.glob("*.yml"))
    return path


async def test_no_token_is_401_and_an_agent_is_403_on_every_training_route(trainers: Api) -> None:
    routes = (("GET", "/training/inbox", None), ("POST", "/training/labels", {"keys": [text_key(UNSURE)],
                                                                               "intent": "greet"}),
              ("POST", "/training/skip", {"keys": [text_key(UNSURE)]}))
    async with trainers.client() as stranger, trainers.client("alice") as alice:
        for method, path, body in routes:
            answer = await stranger.request(method, path, json=body)
            assert answer.status_code == 401 and answer.json()["error"]["code"] == "unauthenticated", path
            answer = await alice.request(method, path, json=body)
            assert answer.status_code == 403 and answer.json()["error"]["code"] == "forbidden", path
        bad = await stranger.get("/training/inbox", headers={"Authorization": "Bearer not-a-token"})
        assert bad.status_code == 401
    async with trainers.client("tom") as tom:
        assert len((await tom.get("/training/inbox")).json()["groups"]) == 2  # the agent changed nothing


@pytest.mark.parametrize("who", ["tom", "boss"])
async def test_trainers_and_supervisors_read_the_inbox(trainers: Api, who: str) -> None:
    async with trainers.client(who) as client:
        answer = await client.get("/training/inbox", params={"sort": "uncertainty"})
    assert answer.status_code == 200
    page = answer.json()
    assert page["total"] == 2
    first = page["groups"][0]["items"][0]
    assert first["text"] == HESITANT and first["reasons"] == ["small_margin"]  # margin 0.08, the other's 0.36
    assert first["prediction"]["intent"] == "query_order_status" and first["model_id"] == "m-7"
    assert first["suggested"] == {"intent": "query_order_status", "emotion": "anger", "severity": None}
    assert "complain_refund" in page["intents"] and "nlu_fallback" not in page["intents"]
    assert page["emotions"] == list(EMOTIONS) and page["severities"] == ["general", "important", "severe"]


@pytest.mark.parametrize("query", [{"sort": "loudest"}, {"reason": "bad_vibes"}, {"limit": "0"}, {"limit": "x"},
                                   {"limit": "201"}, {"offset": "-1"}, {"offset": "１"}, {"reason": "fallback,nope"}])
async def test_a_bad_inbox_query_is_a_400_naming_the_parameter(trainers: Api, query: dict[str, str]) -> None:
    async with trainers.client("tom") as tom:
        answer = await tom.get("/training/inbox", params=query)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "bad_request" and next(iter(query)) in answer.json()["error"]["message"]


async def test_a_label_is_written_as_rasa_data_and_the_message_leaves_the_inbox(
        trainers: Api, paths: TrainingPaths) -> None:
    from rasa.shared.nlu.training_data.loading import load_data

    async with trainers.client("tom") as tom:
        answer = await tom.post("/training/labels", json={"keys": [text_key(UNSURE)], "intent": "complain_billing",
                                                          "emotion": "anger", "severity": "important"})
        assert answer.status_code == 200, answer.text
        written = answer.json()
        left = (await tom.get("/training/inbox")).json()
    path = review_file(paths)
    assert written == {"written": 1, "file": f"nlu_data/review/{path.name}", "ignored": []}
    assert [i["text"] for g in left["groups"] for i in g["items"]] == [HESITANT]
    [message] = load_data(str(path)).training_examples
    assert (message.get("text"), message.get("intent")) == (UNSURE, "complain_billing")
    metadata = message.get("metadata")["example"]
    assert {k: metadata[k] for k in ("emotion", "severity", "source", "reviewer", "model_id", "reason")} == {
        "emotion": "anger", "severity": "important", "source": "review", "reviewer": "tom", "model_id": "m-7",
        "reason": ["low_confidence"]}


async def test_a_bulk_label_labels_what_is_still_waiting_and_names_the_rest(trainers: Api,
                                                                          paths: TrainingPaths) -> None:
    gone, never = text_key(HESITANT), text_key("从来没人说过")
    async with trainers.client("boss") as boss, trainers.client("tom") as tom:
        assert (await boss.post("/training/skip", json={"keys": [gone]})).json() == {"skipped": 1, "ignored": []}
        answer = await tom.post("/training/labels", json={"keys": [text_key(UNSURE), gone, never],
                                                          "intent": "query_payment"})
        assert answer.status_code == 200
        assert answer.json()["written"] == 1 and answer.json()["ignored"] == [gone, never]
        again = await tom.post("/training/labels", json={"keys": [text_key(UNSURE)], "intent": "greet"})
        assert again.status_code == 404 and again.json()["error"]["code"] == "not_found"
        skipped_again = await tom.post("/training/skip", json={"keys": [gone]})
        assert skipped_again.status_code == 404
        assert (await tom.get("/training/inbox")).json()["total"] == 0
    assert "query_payment" in review_file(paths).read_text(encoding="utf-8")
    assert "greet" not in review_file(paths).read_text(encoding="utf-8")  # the 404 changed nothing


BAD_BODIES: list[tuple[Any, str]] = [
    (b"{not json", "bad_json"), (b"[1, 2]", "bad_json"), ({"intent": "greet"}, "bad_request"),
    ({"keys": [], "intent": "greet"}, "bad_request"), ({"keys": "abc", "intent": "greet"}, "bad_request"),
    ({"keys": ["../../etc/passwd"], "intent": "greet"}, "bad_request"),
    ({"keys": [7], "intent": "greet"}, "bad_request"),
    ({"keys": [text_key("x").upper()], "intent": "greet"}, "bad_request"),
    ({"keys": [text_key(str(n)) for n in range(501)], "intent": "greet"}, "too_many_keys"),
    ({"keys": [text_key(UNSURE)], "intent": "complain_about_the_weather"}, "unknown_label"),
    ({"keys": [text_key(UNSURE)], "intent": "nlu_fallback"}, "unknown_label"),
    ({"keys": [text_key(UNSURE)]}, "unknown_label"),
    ({"keys": [text_key(UNSURE)], "intent": "greet", "emotion": "smug"}, "unknown_label"),
    ({"keys": [text_key(UNSURE)], "intent": "complain_refund", "severity": "apocalyptic"}, "unknown_label"),
    ({"keys": [text_key(UNSURE)], "intent": {"$ne": 1}}, "unknown_label"),
]


@pytest.mark.parametrize(("body", "code"), BAD_BODIES)
async def test_a_malformed_or_unlearnable_label_is_a_400_and_writes_nothing(
        trainers: Api, paths: TrainingPaths, body: Any, code: str) -> None:
    async with trainers.client("tom") as tom:
        if isinstance(body, bytes):
            answer = await tom.post("/training/labels", content=body)
        else:
            answer = await tom.post("/training/labels", json=body)
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["code"] == code
        assert (await tom.get("/training/inbox")).json()["items_total"] == 2
    assert not paths.review_dir.exists()


@pytest.mark.parametrize("body", [b"", b"{oops", {"keys": None}, {"keys": [text_key("x")] * 501}])
async def test_a_malformed_skip_is_a_400(trainers: Api, body: Any) -> None:
    async with trainers.client("tom") as tom:
        answer = await (tom.post("/training/skip", content=body) if isinstance(body, bytes)
                        else tom.post("/training/skip", json=body))
    assert answer.status_code == 400 and answer.json()["error"]["code"] in ("bad_json", "bad_request",
                                                                              "too_many_keys")


async def test_an_oversized_body_is_a_413(desk: Desk, redis_url: str, paths: TrainingPaths) -> None:
    app = create_app(desk, FakeRasa(), redis_url=redis_url, background=False, name=app_name(), training=paths,
                     max_body_bytes=10_000)
    api = Api(app, desk, FakeRasa())
    api.agent("tom", "trainer")
    async with api.client("tom") as tom:
        answer = await tom.post("/training/labels", json={"keys": [text_key("x")] * 200, "intent": "greet"})
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "too_large"


async def test_a_review_folder_that_cannot_be_written_takes_the_label_back(trainers: Api,
                                                                         paths: TrainingPaths) -> None:
    paths.review_dir.parent.mkdir(parents=True, exist_ok=True)
    paths.review_dir.write_text("a file where the folder should be", encoding="utf-8")
    async with trainers.client("tom") as tom:
        answer = await tom.post("/training/labels", json={"keys": [text_key(UNSURE)], "intent": "greet"})
        assert answer.status_code == 500 and answer.json()["error"]["code"] == "write_failed"
        assert str(paths.root) not in answer.text
        assert (await tom.get("/training/inbox")).json()["items_total"] == 2  # still waiting for a label


async def test_the_training_data_is_read_at_start_up_so_the_first_page_does_not_wait_for_it(
        trainers: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading and counting the whole training data takes seconds per worker (handoff/api/training.py,
    `Training.warm`): each worker does it as it starts, before any trainer asks, and the first
    page uses that reading instead of making its own."""
    from handoff.api import training
    from handoff.training import similar, texts

    monkeypatch.setattr(training, "WARM_AFTER_S", 0.0)
    read: list[str] = []
    counted: list[int] = []
    real_read, real_counts = texts.read_yaml, similar.counts

    def reading(path: Path) -> Any:
        read.append(path.name)
        return real_read(path)

    def counting(found: Any) -> Any:
        counted.append(len(found))
        return real_counts(found)

    monkeypatch.setattr(texts, "read_yaml", reading)
    monkeypatch.setattr(similar, "counts", counting)
    async with trainers.client("tom") as tom:
        deadline = time.monotonic() + 10
        while 3 not in counted and time.monotonic() < deadline:  # nobody has asked for a page yet
            await asyncio.sleep(0.05)
        assert read == ["known.yml"] and counted == [3]  # the training data's three examples
        page = (await tom.get("/training/inbox")).json()
    assert page["total"] == 2  # the taught message is folded out, as before
    assert read == ["known.yml"] and counted == [3, 2]  # only the two waiting messages were counted


async def test_a_failed_warm_up_leaves_the_inbox_to_its_first_request(
        trainers: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    from handoff.api import training
    from handoff.training.similar import Similarity

    monkeypatch.setattr(training, "WARM_AFTER_S", 0.0)

    def broken(self: Similarity, reference: Any) -> None:
        raise MemoryError("no room")

    monkeypatch.setattr(Similarity, "prepare", broken)
    async with trainers.client("tom") as tom:
        deadline = time.monotonic() + 10
        while "warm-up failed" not in caplog.text and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        answer = await tom.get("/training/inbox")
    assert "training inbox warm-up failed" in caplog.text
    assert answer.status_code == 200 and answer.json()["total"] == 2
