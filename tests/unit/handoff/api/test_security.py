"""The agents' API played by outsiders: another team's agent, a disabled or rotated token, an
oversized or NUL-laden body; and the security headers on every kind of answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from handoff.api.app import create_app
from handoff.desk import Desk
from tests.unit.handoff.api.conftest import Api, FakeRasa, app_name, complaint


def member(api: Api, name: str, teams: list[str], languages: list[str] = ["zh", "en"],  # noqa: B006
           role: str = "agent") -> None:
    _, api.tokens[name] = api.desk.store.create_agent(name, role, teams, languages)


async def test_another_teams_agent_gets_404_everywhere_and_sees_no_contact(api: Api) -> None:
    api.desk.teams = {"complain_billing": "billing"}
    member(api, "bill", ["billing"])
    member(api, "olga", ["general"])
    case = api.desk.hand_off(**{**complaint("web:x"), "category": "complain_billing"}).case
    api.desk.record_callback(case.id, "13812345678")
    async with api.client("olga") as olga, api.client("bill") as bill:
        assert (await olga.get("/queue")).json()["cases"] == []
        for method, path in (("GET", ""), ("GET", "/messages"), ("POST", "/claim"), ("POST", "/notes"),
                             ("POST", "/reply"), ("POST", "/resolve"), ("POST", "/state")):
            answer = await olga.request(method, f"/cases/{case.id}{path}", json={"text": "x", "state": "closed"})
            assert answer.status_code == 404, path
            assert answer.json()["error"] == {"code": "not_found", "message": f"no case {case.id}"}
            assert "13812345678" not in answer.text
        queued = (await bill.get("/queue")).json()["cases"]
        assert [row["id"] for row in queued] == [case.id] and queued[0]["callback_contact"] == "138****5678"
        claimed = (await bill.post(f"/cases/{case.id}/claim")).json()["case"]
        assert claimed["callback_contact"] == "13812345678"  # the owner calls the customer back


async def test_a_transfer_to_an_unknown_team_is_refused_and_the_queue_still_lists(api: Api) -> None:
    api.agent("alice")
    waiting = api.desk.hand_off(**complaint("web:w")).case
    case = api.desk.hand_off(**complaint("web:1")).case
    async with api.client("alice") as alice:
        await alice.post(f"/cases/{case.id}/claim")
        refused = await alice.post(f"/cases/{case.id}/transfer", json={"team": "nowhere"})
        assert refused.status_code == 422 and refused.json()["error"]["code"] == "invalid"
        nul = await alice.post(f"/cases/{case.id}/transfer", json={"team": "a\x00b"})
        assert nul.status_code == 422
        assert [row["id"] for row in (await alice.get("/queue")).json()["cases"]] == [waiting.id]
        assert (await alice.get(f"/cases/{case.id}")).json()["case"]["assigned_agent"] == "alice"


async def test_closing_through_state_hands_the_customer_back(api: Api) -> None:
    api.agent("alice")
    case = api.desk.hand_off(**complaint("web:1")).case
    async with api.client("alice") as alice:
        await alice.post(f"/cases/{case.id}/claim")
        closed = (await alice.post(f"/cases/{case.id}/state", json={"state": "closed"})).json()
        assert closed["handed_back"] is True and closed["case"]["state"] == "closed"
    assert api.rasa.handed_back == ["web:1"]


async def test_the_same_idempotency_key_on_two_cases_does_two_things(api: Api) -> None:
    api.agent("alice")
    first = api.desk.hand_off(**complaint("web:1")).case
    second = api.desk.hand_off(**complaint("web:2")).case
    async with api.client("alice") as alice:
        for case in (first, second):
            await alice.post(f"/cases/{case.id}/claim")
            sent = await alice.post(f"/cases/{case.id}/reply", json={"text": "hi"}, headers={"Idempotency-Key": "k"})
            assert sent.status_code == 201 and sent.json()["delivered"] is True
    assert [c for c, text in api.rasa.said if text == "hi"] == ["web:1", "web:2"]


async def test_control_characters_are_cleaned_and_an_oversized_body_is_413(api: Api) -> None:
    api.agent("alice")
    case = api.desk.hand_off(**complaint("web:1")).case
    async with api.client("alice") as alice:
        await alice.post(f"/cases/{case.id}/claim")
        sent = await alice.post(f"/cases/{case.id}/reply", json={"text": "hi\x00 there\x1b[31m\u202e"})
        assert sent.status_code == 201 and sent.json()["message"]["text"] == "hi there[31m"
        only_nul = await alice.post(f"/cases/{case.id}/notes", json={"text": "\x00\x00"})
        assert only_nul.status_code == 422 and only_nul.json()["error"]["code"] == "invalid"
        weird_id = await alice.get("/cases/C-1%00")
        assert weird_id.status_code == 404
        big = await alice.post(f"/cases/{case.id}/notes", content=b'{"text": "' + b"x" * 1_100_000 + b'"}')
        assert big.status_code == 413 and big.json()["error"]["code"] == "too_large"
        assert big.headers["x-content-type-options"] == "nosniff"


async def test_a_disabled_or_rotated_token_stops_at_the_next_request(api: Api) -> None:
    api.agent("alice")
    api.agent("bob")
    async with api.client("alice") as alice, api.client("bob") as bob:
        assert (await alice.get("/me")).status_code == 200
        api.desk.store.set_active("alice", False)
        refused = await alice.get("/queue")
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthenticated"
        new = api.desk.store.rotate_token("bob")
        assert (await bob.get("/me")).status_code == 401
        assert (await bob.get("/me", headers={"Authorization": f"Bearer {new}"})).json()["name"] == "bob"


@pytest.fixture()
def paged(desk: Desk, redis_url: str, tmp_path: Path) -> Api:
    widget, console = tmp_path / "widget", tmp_path / "console"
    widget.mkdir()
    console.mkdir()
    (widget / "index.html").write_text("<p>shop</p><script>var x = 1;</script><script src='w.js'></script>")
    (console / "index.html").write_text('<script type="module" src="/console/console.js"></script>')
    app = create_app(desk, FakeRasa(), redis_url=redis_url, background=False, name=app_name(),
                     pages={"/widget": widget, "/console": console}, rasa_urls=("http://rasa.example:5005",),
                     rasa_port=5005)
    return Api(app, desk, FakeRasa())


async def test_every_answer_carries_the_security_headers(paged: Api) -> None:
    async with paged.client() as client:
        answers = {path: await client.get(path) for path in ("/widget/", "/console/", "/queue", "/no-such-page",
                                                            "/widget/nothing.js", "/openapi.json")}
    assert answers["/queue"].status_code == 401 and answers["/no-such-page"].status_code == 404
    assert answers["/no-such-page"].json()["error"]["code"] == "not_found"
    for path, answer in answers.items():
        csp = answer.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp, path
        assert answer.headers["x-frame-options"] == "DENY", path
        assert answer.headers["x-content-type-options"] == "nosniff", path
        assert answer.headers["referrer-policy"] == "no-referrer", path
    widget = answers["/widget/"].headers["content-security-policy"]
    assert "connect-src 'self' http://rasa.example:5005 ws://rasa.example:5005 http://handoff.test:5005" in widget
    assert "script-src 'self' 'sha256-" in widget  # the page's own inline script, by its hash only
    assert "unsafe-inline" not in widget.split("script-src")[1].split(";")[0]
    console = answers["/console/"].headers["content-security-policy"]
    assert "script-src 'self';" in console and "connect-src 'self'" in console
    assert answers["/queue"].headers["cache-control"] == "no-store"
