"""A case worked through the API: claim (the customer is told), reply, notes, resolve; and what
happens when Rasa cannot deliver."""

from __future__ import annotations

from tests.unit.handoff.api.conftest import Api, complaint


async def test_a_case_from_claim_to_resolve(api: Api) -> None:
    api.agent("alice")
    case = api.desk.hand_off(**complaint()).case
    async with api.client("alice") as alice:
        queue = (await alice.get("/queue")).json()
        assert [row["id"] for row in queue["cases"]] == [case.id] and queue["agents_online"] == 1
        assert "package" not in queue["cases"][0]
        claimed = (await alice.post("/queue/next")).json()["case"]
        assert claimed["id"] == case.id and claimed["assigned_agent"] == "alice"
        assert api.rasa.said and "alice" in api.rasa.said[0][1]  # "人工客服 alice 已接入"
        sent = await alice.post(f"/cases/{case.id}/reply", json={"text": "您好"}, headers={"Idempotency-Key": "k"})
        assert sent.status_code == 201 and sent.json()["delivered"] is True
        again = await alice.post(f"/cases/{case.id}/reply", json={"text": "您好"}, headers={"Idempotency-Key": "k"})
        assert again.json() == {"delivered": False, "duplicate": True, "case_id": case.id}
        assert (await alice.post(f"/cases/{case.id}/notes", json={"text": "查批次"})).status_code == 201
        after = sent.json()["message"]["id"]
        newer = (await alice.get(f"/cases/{case.id}/messages", params={"after": after})).json()["messages"]
        assert [m["role"] for m in newer] == ["note"]
        detail = (await alice.get(f"/cases/{case.id}")).json()["case"]
        assert "investigating" in detail["allowed_states"] and detail["rating"] is None
        mine = (await alice.get("/cases")).json()["cases"]
        assert [c["id"] for c in mine] == [case.id]
        resolved = (await alice.post(f"/cases/{case.id}/resolve", json={"note": "refunded"})).json()
        assert resolved["handed_back"] is True and resolved["case"]["state"] == "follow_up"
        assert api.rasa.handed_back == [case.conversation_id]
        follow_ups = (await alice.get("/follow-ups")).json()["follow_ups"]
        assert [f["case_id"] for f in follow_ups] == [case.id]


async def test_an_undelivered_reply_is_kept_and_reported(api: Api) -> None:
    api.agent("alice")
    case = api.desk.hand_off(**complaint()).case
    async with api.client("alice") as alice:
        assert (await alice.post(f"/cases/{case.id}/claim")).status_code == 200
        api.rasa.down = True
        sent = await alice.post(f"/cases/{case.id}/reply", json={"text": "您好"})
        assert sent.status_code == 502 and sent.json()["error"]["code"] == "not_delivered"
        resolved = (await alice.post(f"/cases/{case.id}/resolve")).json()
        assert resolved["handed_back"] is False
    texts = [(m.role, m.text) for m in api.desk.store.messages(case.id)]
    assert ("agent", "您好") in texts
    assert any(role == "system" and text.startswith("not delivered") for role, text in texts)
    assert any(role == "system" and text.startswith("hand-back failed") for role, text in texts)


async def test_a_transfer_to_a_colleague_makes_it_theirs(api: Api) -> None:
    api.agent("alice")
    api.agent("bob")
    case = api.desk.hand_off(**complaint()).case
    async with api.client("alice") as alice:
        await alice.post(f"/cases/{case.id}/claim")
        refused = await alice.post(f"/cases/{case.id}/transfer", json={})
        assert refused.status_code == 422
        moved = (await alice.post(f"/cases/{case.id}/transfer", json={"agent": "bob", "note": "billing"})).json()
    assert moved["case"]["assigned_agent"] == "bob"
