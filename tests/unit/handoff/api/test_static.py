"""The widget's and the console's folders as static pages: index, files, redirect, charset, and
nothing outside the folder."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pytest
from sanic.request import Request

from handoff.api.app import create_app
from handoff.api.static import static_file
from handoff.desk import Desk
from tests.unit.handoff.api.conftest import Api, FakeRasa, app_name


@pytest.fixture()
def site(tmp_path: Path) -> Path:
    folder = tmp_path / "widget"
    folder.mkdir()
    (folder / "index.html").write_text("<p>店</p>", encoding="utf-8")
    (folder / "widget.js").write_text("console.log('好')", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("not for the web", encoding="utf-8")
    return folder


@pytest.fixture()
def pages(desk: Desk, redis_url: str, site: Path, tmp_path: Path) -> Api:
    app = create_app(desk, FakeRasa(), redis_url=redis_url, background=False, name=app_name(),
                     pages={"/widget": site, "/console": tmp_path / "no-such-folder"})
    return Api(app, desk, FakeRasa())


async def test_a_folder_is_served_with_its_index_and_a_redirect_to_the_slash(pages: Api) -> None:
    async with pages.client() as client:
        index = await client.get("/widget/")
        assert index.status_code == 200 and index.text == "<p>店</p>"
        assert index.headers["content-type"] == "text/html; charset=utf-8"
        script = await client.get("/widget/widget.js")
        assert script.headers["content-type"].endswith("charset=utf-8") and "好" in script.text
        moved = await client.get("/widget", params={"lang": "en"})
        assert moved.status_code == 302 and moved.headers["location"] == "/widget/?lang=en"
        assert (await client.get("/widget/nothing.css")).status_code == 404
        assert (await client.get("/console/")).status_code == 404  # a missing folder is not served


async def test_nothing_outside_the_folder_is_served(pages: Api, site: Path) -> None:
    async with pages.client() as client:
        for path in ("/widget/%2e%2e/secret.txt", "/widget/..%2fsecret.txt"):
            escaped = await client.get(path)
            assert escaped.status_code == 404 and "not for the web" not in escaped.text
    refused = await static_file(site, cast(Request, None), "../secret.txt")
    assert refused.status == 404
