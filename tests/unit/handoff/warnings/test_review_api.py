"""POST /alerts/{id}/review played by supervisors and outsiders, and the warning's fields in
GET /alerts (listAlerts)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handoff.api.app import create_app
from handoff.desk import Desk
from handoff.store.alerts import WarningFacts
from tests.unit.handoff.api.conftest import Api, FakeRasa, app_name


@pytest.fixture()
def api(desk: Desk, redis_url: str) -> Api:
    app = create_app(desk, FakeRasa(), redis_url=redis_url, background=False, name=app_name())
    return Api(app, desk, FakeRasa())


def warning(api: Api) -> int:
    now = api.desk.store.clock.now()
    alert, _ = api.desk.store.open_warning(WarningFacts(
        kind="volume_spike", category="complain_refund", level="important", method="ears_c2", observed=9.0,
        expected=2.1, threshold=6.3, window_start=now - timedelta(hours=1), window_end=now,
        message="重要预警 complain_refund: 9 complaints in the last hour, expected 2.1, threshold 6.3",
        details={"texts": {"zh": "…", "en": "…"}}, owner="refund desk", due_at=now + timedelta(hours=2),
    ))
    return alert.id


async def test_a_supervisor_sees_the_warning_and_closes_it_with_a_review(api: Api) -> None:
    api.agent("sam", "supervisor")
    alert_id = warning(api)
    async with api.client("sam") as sam:
        [listed] = (await sam.get("/alerts")).json()["alerts"]
        assert (listed["kind"], listed["level"], listed["status"], listed["case_id"]) == (
            "volume_spike", "important", "open", None)
        assert (listed["observed"], listed["expected"], listed["threshold"]) == (9.0, 2.1, 6.3)
        assert listed["owner"] == "refund desk" and listed["due_at"].endswith("+00:00")
        assert (await sam.post(f"/alerts/{alert_id}/ack")).json()["alert"]["status"] == "acknowledged"
        answer = await sam.post(f"/alerts/{alert_id}/review", json={"note": "复盘: 退款接口超时\r\n已修复"})
        assert answer.status_code == 200
        closed = answer.json()["alert"]
        assert (closed["status"], closed["reviewed_by"]) == ("reviewed", "sam")
        assert closed["review"] == "复盘: 退款接口超时\n已修复"  # line breaks as \n
        assert closed["acknowledged_by"] == "sam" and closed["reviewed_at"]
        again = await sam.post(f"/alerts/{alert_id}/review", json={"note": "复盘 2"})
        assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
        assert (await sam.get("/alerts")).json()["alerts"][0]["review"] == "复盘: 退款接口超时\n已修复"


async def test_outsiders_and_bad_reviews_are_refused(api: Api) -> None:
    api.agent("sam", "supervisor")
    api.agent("alice")
    alert_id = warning(api)
    async with api.client() as nobody:
        assert (await nobody.post(f"/alerts/{alert_id}/review", json={"note": "x"})).status_code == 401
    async with api.client("alice") as alice:
        refused = await alice.post(f"/alerts/{alert_id}/review", json={"note": "复盘"})
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    async with api.client("sam") as sam:
        for body in ({"note": ""}, {"note": "  \x00\u202e "}, {}, {"note": 42}, {"note": "字" * 4001}):
            bad = await sam.post(f"/alerts/{alert_id}/review", json=body)
            assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_request", body
        not_json = await sam.post(f"/alerts/{alert_id}/review", content=b"{nope")
        assert not_json.status_code == 400
        for missing in (alert_id + 1, 2**63 - 1, 2**63, 0):
            unknown = await sam.post(f"/alerts/{missing}/review", json={"note": "复盘"})
            assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found", missing
        assert (await sam.get("/alerts")).json()["alerts"][0]["status"] == "open"  # nothing changed
