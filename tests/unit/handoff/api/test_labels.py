"""The console's shared names come from the service: `/console/labels.json`, next to the console's
own files, with no token (static, non-secret words), equal to core/labels.py."""

from __future__ import annotations

import pytest

from core.labels import as_json
from core.settings import ROOT
from handoff.api.app import create_app
from handoff.desk import Desk
from tests.unit.handoff.api.conftest import Api, FakeRasa, app_name


@pytest.fixture()
def console(desk: Desk, redis_url: str) -> Api:
    app = create_app(desk, FakeRasa(), redis_url=redis_url, background=False, name=app_name(),
                     pages={"/console": ROOT / "handoff" / "console"})
    return Api(app, desk, FakeRasa())


async def test_the_console_reads_the_names_without_a_token_next_to_its_files(console: Api) -> None:
    async with console.client() as client:
        answer = await client.get("/console/labels.json")
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json")
        names = answer.json()
        assert names == as_json()
        assert names["category"]["complain_refund"] == {"zh": "退款", "en": "refund"}
        assert names["warning_level"]["severe"]["zh"] == "严重预警"
        script = await client.get("/console/i18n.js")  # the folder's files are still served beside it
        assert script.status_code == 200 and "loadSharedLabels" in script.text


async def test_writing_to_it_is_refused(console: Api) -> None:
    async with console.client() as client:
        refused = await client.post("/console/labels.json", json={"category": {}})
        assert refused.status_code == 405 and "error" in refused.json()
