"""The endpoints file Rasa runs with: what Rasa reads from it, and the by-hand copy agrees."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rasa.core.utils import AvailableEndpoints

from core.settings import ROOT
from tools import endpoints


def read(tmp_path: Path, text: str) -> AvailableEndpoints:
    path = tmp_path / "endpoints.yml"
    path.write_text(text, encoding="utf-8")
    return AvailableEndpoints.read_endpoints(str(path))


def test_rasa_reads_the_redis_stores_with_their_own_databases(tmp_path: Path) -> None:
    got = read(tmp_path, endpoints.render("http://localhost:5055/webhook", "redis://:p%40ss:w0rd@cache:6380/0",
                                          tracker_store="redis"))
    assert got.tracker_store is not None and got.lock_store is not None
    assert got.tracker_store.type == "redis" and got.tracker_store.url == "cache"
    assert got.tracker_store.kwargs == {"port": 6380, "db": endpoints.TRACKER_DB, "password": "p@ss:w0rd"}
    assert got.lock_store.type == "bot.lock_store.AtomicRedisLockStore"
    assert got.lock_store.kwargs["db"] == endpoints.LOCK_DB != endpoints.TRACKER_DB


def test_the_sql_tracker_store_takes_the_database_url_whole(tmp_path: Path) -> None:
    url = "postgresql+psycopg2://shop:s3cret@db:5432/shop"
    got = read(tmp_path, endpoints.render("http://a/webhook", "redis://localhost", database_url=url))
    assert got.tracker_store is not None and got.tracker_store.url == url
    assert got.tracker_store.type == "bot.tracker_store.DurableSQLTrackerStore"
    with pytest.raises(ValueError):
        endpoints.render("http://a/webhook", "redis://localhost")  # the default store needs DATABASE_URL


def test_the_by_hand_endpoints_file_matches_what_make_run_writes() -> None:
    by_hand = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    rendered = yaml.safe_load(endpoints.render("http://localhost:5055/webhook", "redis://localhost:6379/0",
                                               database_url="sqlite:///var/shop.db"))
    assert by_hand == rendered


def test_rasa_sends_the_action_token_as_the_query_parameter_the_action_server_checks(tmp_path: Path) -> None:
    token = "t0k:en/with#odd?chars"
    got = read(tmp_path, endpoints.render("http://localhost:5055/webhook", "redis://localhost",
                                          database_url="sqlite:///x.db", token=token))
    assert got.action is not None and got.action.url == "http://localhost:5055/webhook"
    assert got.action.combine_parameters() == {"token": token}  # `?token=` on every action call
    plain = read(tmp_path, endpoints.render("http://localhost:5055/webhook", "redis://localhost",
                                            database_url="sqlite:///x.db"))
    assert plain.action is not None and plain.action.token is None  # existing callers: as before
