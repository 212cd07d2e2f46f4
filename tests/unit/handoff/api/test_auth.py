"""Who may call the API: a known, active agent's token; supervisors for the alerts."""

from __future__ import annotations

from tests.unit.handoff.api.conftest import Api


async def test_without_a_token_every_agent_route_is_refused(api: Api) -> None:
    async with api.client() as client:
        for path in ("/me", "/queue", "/cases", "/cases/C-20260101-0001", "/alerts", "/follow-ups", "/events"):
            answer = await client.get(path)
            assert answer.status_code == 401, path
            assert answer.json()["error"]["code"] == "unauthenticated"
        assert (await client.post("/queue/next")).status_code == 401
        assert (await client.get("/health")).json() == {"status": "ok"}  # liveness needs no token


async def test_an_unknown_token_is_refused_and_a_known_one_counts_the_agent_online(api: Api) -> None:
    api.agent("alice")
    async with api.client() as client:
        unknown = await client.get("/me", headers={"Authorization": "Bearer not-a-token"})
        assert unknown.status_code == 401 and "unknown" in unknown.json()["error"]["message"]
        assert api.desk.agents_online() == 0
        me = await client.get("/me", params={"token": api.tokens["alice"]})  # as the console's EventSource sends it
    assert me.status_code == 200 and me.json()["name"] == "alice" and me.json()["token_hash"] is None
    assert api.desk.agents_online() == 1


async def test_only_supervisors_see_and_acknowledge_alerts(api: Api) -> None:
    api.agent("alice")
    api.agent("sam", "supervisor")
    async with api.client("alice") as client:
        refused = await client.get("/alerts")
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
        assert (await client.post("/alerts/1/ack")).status_code == 403
    async with api.client("sam") as client:
        assert (await client.get("/alerts")).json() == {"alerts": []}
        missing = await client.post("/alerts/99/ack")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
