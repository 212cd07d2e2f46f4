"""POST /cases/{id}/resolve with the agent's final category and severity: stored with their name
and shown in the case; an unknown value is a 400 that changes nothing; whoever may not resolve
the case is refused exactly as without labels."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.handoff.api.conftest import Api, complaint

LABELS = {"final_category": "complain_delivery", "final_severity": "important"}


async def test_the_agents_labels_are_stored_and_shown(api: Api) -> None:
    api.agent("alice")
    case = api.desk.hand_off(**complaint()).case
    async with api.client("alice") as alice:
        await alice.post(f"/cases/{case.id}/claim")
        resolved = await alice.post(f"/cases/{case.id}/resolve", json={"note": "sent again", **LABELS})
        assert resolved.status_code == 200
        shown = resolved.json()["case"]
        assert (shown["final_category"], shown["final_severity"], shown["labelled_by"]) == (
            "complain_delivery", "important", "alice")
        assert (shown["category"], shown["severity"]) == ("complain_refund", "severe")  # the bot's, unchanged
        detail = (await alice.get(f"/cases/{case.id}")).json()["case"]
        assert {k: detail[k] for k in (*LABELS, "labelled_by")} == {**LABELS, "labelled_by": "alice"}
        listed = (await alice.get("/cases")).json()["cases"]
        assert listed[0]["final_severity"] == "important"


async def test_a_resolve_that_does_not_say_leaves_them_empty(api: Api) -> None:
    api.agent("alice")
    case = api.desk.hand_off(**complaint()).case
    async with api.client("alice") as alice:
        await alice.post(f"/cases/{case.id}/claim")
        shown = (await alice.post(f"/cases/{case.id}/resolve",
                                  json={"final_category": None, "final_severity": None})).json()["case"]
        assert shown["state"] == "follow_up"
        assert (shown["final_category"], shown["final_severity"], shown["labelled_by"]) == (None, None, None)


@pytest.mark.parametrize("body", [
    {"final_category": "complain_weather"}, {"final_severity": "catastrophic"}, {"final_severity": 3},
    {"final_category": ["complain_refund"]}, {"final_severity": ""},
])
async def test_an_unknown_label_is_a_400_and_changes_nothing(api: Api, body: dict[str, Any]) -> None:
    api.agent("alice")
    case = api.desk.hand_off(**complaint()).case
    async with api.client("alice") as alice:
        await alice.post(f"/cases/{case.id}/claim")
        refused = await alice.post(f"/cases/{case.id}/resolve", json=body)
        assert refused.status_code == 400
        error = refused.json()["error"]
        assert error["code"] == "unknown_label" and "must be one of" in error["message"]
        detail = (await alice.get(f"/cases/{case.id}")).json()["case"]
        assert (detail["resolved_at"], detail["final_category"], detail["final_severity"]) == (None, None, None)
    assert api.rasa.handed_back == []


async def test_who_may_not_resolve_is_refused_as_without_labels(api: Api) -> None:
    api.agent("alice")
    api.agent("bob")
    _, api.tokens["bill"] = api.desk.store.create_agent("bill", "agent", ["billing"], ["zh", "en"])
    case = api.desk.hand_off(**complaint()).case
    async with api.client("alice") as alice, api.client("bob") as bob, api.client("bill") as bill, \
            api.client() as nobody:
        await alice.post(f"/cases/{case.id}/claim")
        for client, status, code in ((bob, 403, "forbidden"), (bill, 404, "not_found")):
            plain = await client.post(f"/cases/{case.id}/resolve", json={})
            labelled = await client.post(f"/cases/{case.id}/resolve", json=LABELS)
            assert (plain.status_code, labelled.status_code) == (status, status)
            assert plain.json() == labelled.json() and labelled.json()["error"]["code"] == code
        assert (await nobody.post(f"/cases/{case.id}/resolve", json=LABELS)).status_code == 401
        malformed = await alice.post(f"/cases/{case.id}/resolve", content=b'{"final_severity": ')
        assert malformed.status_code == 400 and malformed.json()["error"]["code"] == "bad_json"
    after = api.desk.store.get(case.id)
    assert (after.resolved_at, after.final_category, after.final_severity, after.labelled_by) == (
        None, None, None, None)
