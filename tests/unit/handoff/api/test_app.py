"""The store's and the desk's refusals become JSON errors with the status a client acts on."""

from __future__ import annotations

from tests.unit.handoff.api.conftest import Api, complaint


async def test_refusals_map_to_statuses_and_codes(api: Api) -> None:
    api.agent("alice")
    api.agent("bob")
    case = api.desk.hand_off(**complaint()).case
    async with api.client("alice") as alice, api.client("bob") as bob:
        missing = await alice.get("/cases/C-20200101-0001")
        assert missing.status_code == 404 and missing.json()["error"] == {
            "code": "not_found", "message": "no case C-20200101-0001"}
        not_claimed = await alice.post(f"/cases/{case.id}/reply", json={"text": "hi"})
        assert not_claimed.status_code == 403 and not_claimed.json()["error"]["code"] == "forbidden"
        assert (await alice.post(f"/cases/{case.id}/claim")).status_code == 200
        taken = await bob.post(f"/cases/{case.id}/claim")
        assert taken.status_code == 409 and taken.json()["error"]["code"] == "conflict"
        assert "alice" in taken.json()["error"]["message"]
        backwards = await alice.post(f"/cases/{case.id}/state", json={"state": "reopened"})
        assert backwards.status_code == 409 and backwards.json()["error"]["code"] == "invalid_transition"
        unknown_state = await alice.post(f"/cases/{case.id}/state", json={"state": "done"})
        assert unknown_state.status_code == 422 and unknown_state.json()["error"]["code"] == "invalid"
        not_a_number = await alice.get(f"/cases/{case.id}/messages", params={"after": "x"})
        assert not_a_number.status_code == 422 and not_a_number.json()["error"]["code"] == "invalid"
        bad_json = await alice.post(f"/cases/{case.id}/notes", content=b"{oops")
        assert bad_json.status_code == 400 and bad_json.json()["error"]["code"] == "bad_json"
        nobody = await alice.post(f"/cases/{case.id}/transfer", json={"agent": "zed"})
        assert nobody.status_code == 422 and nobody.json()["error"]["code"] == "unknown_agent"
        assert "zed" in nobody.json()["error"]["message"]


async def test_openapi_documents_the_routes_the_app_serves(api: Api) -> None:
    async with api.client() as client:
        documented = (await client.get("/openapi.json")).json()["paths"]
    served = {route.path for route in api.app.router.routes}
    for path in documented:
        sanic_path = (path.replace("{case_id}", "<case_id:str>").replace("{alert_id}", "<alert_id:int>")
                      .replace("{name}", "<name:str>").lstrip("/"))
        assert sanic_path in served, path
