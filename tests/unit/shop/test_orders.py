from pathlib import Path

from core.settings import ROOT
from shop import replies
from shop.knowledge import Knowledge
from shop.orders import SqlOrderRepository, normalise_order_id, seed_demo_orders

KB = Knowledge.load(ROOT / "nlu_data" / "knowledge" / "answers.yml")


def repo(tmp_path: Path) -> SqlOrderRepository:
    r = SqlOrderRepository(f"sqlite:///{tmp_path / 'shop.db'}")
    seed_demo_orders(r)
    return r


def test_seeded_order_is_found_and_unknown_is_none(tmp_path: Path) -> None:
    r = repo(tmp_path)
    order = r.get("20251103887")
    assert order is not None and order.status == "in_transit"
    assert r.get("20990101000") is None


def test_seeding_twice_is_harmless(tmp_path: Path) -> None:
    r = repo(tmp_path)
    assert seed_demo_orders(r) > 0
    assert r.get("20251103887") is not None


def test_order_numbers_are_normalised() -> None:
    assert normalise_order_id("#2025 1103 887") == "20251103887"
    assert normalise_order_id("abc") is None


def test_order_status_reply_in_each_language(tmp_path: Path) -> None:
    order = repo(tmp_path).get("20251103887")
    assert order
    zh = replies.order_status(order, "zh-Hans", KB)
    assert "运输中" in zh and "SF1402938475612" in zh and "2025年11月6日" in zh
    assert "運輸中" in replies.order_status(order, "zh-Hant", KB)
    en = replies.order_status(order, "en", KB)
    assert "in transit" in en and "Nov 6, 2025" in en


def test_refund_replies(tmp_path: Path) -> None:
    r = repo(tmp_path)
    refunded, none = r.get("20251028001"), r.get("20251103887")
    assert refunded and none
    assert "已退款" in replies.refund_status(refunded, "zh-Hans", KB)
    assert "129.00" in replies.refund_status(refunded, "zh-Hans", KB)
    assert "no refund request" in replies.refund_status(none, "en", KB)


def test_unknown_status_is_refused_and_nothing_written(tmp_path: Path) -> None:
    import dataclasses

    import pytest

    r = repo(tmp_path)
    order = r.get("20251103887")
    assert order
    with pytest.raises(ValueError, match="unknown status 'lost'"):
        r.upsert(dataclasses.replace(order, status="lost"))
    again = r.get("20251103887")
    assert again and again.status == "in_transit"
