"""What a trainer gets in the inbox: one item per text however often it was said, nothing the
training data has or someone decided, the agent's correction as the suggestion, sorted and
grouped as asked."""

from __future__ import annotations

from typing import Any

from handoff.training import reviews
from handoff.training.inbox import Inbox
from handoff.training.texts import TrainingTexts, text_key
from tests.unit.handoff.training.support import T0, World


def inbox(world: World) -> Inbox:
    return Inbox(world.store.engine, world.clock, TrainingTexts(*world.paths.data_dirs()))


def items(page: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for group in page["groups"] for item in group["items"]]


def test_duplicates_fold_into_one_item_and_known_texts_fold_out(world: World) -> None:
    world.say("c1", "这个能便宜点吗", 1, intent="query_payment", confidence=0.41, second=0.1)
    world.say("c2", "这个能便宜点吗？", 5, intent="query_payment", confidence=0.52, second=0.1)
    world.say("c3", "这个 能便宜点吗", 3, intent="query_payment", confidence=0.45, second=0.4)
    world.say("c4", "我的快递到哪了！", 4, confidence=0.3)  # taught already (nlu/known.yml)
    world.say("c5", "Where is my parcel", 6, confidence=0.3)  # taught already, with entity markup
    page = inbox(world).page()
    [item] = items(page)
    assert (page["total"], page["items_total"]) == (1, 1)
    assert item["count"] == 3 and item["key"] == text_key("这个能便宜点吗")
    assert item["text"] == "这个能便宜点吗？" and item["conversation_id"] == "c2"  # the newest says it
    assert item["reasons"] == ["low_confidence", "small_margin"]  # from all three
    assert item["prediction"] == {"intent": "query_payment", "intent_confidence": 0.52, "intent_margin": 0.42,
                                  "emotion": "neutral", "emotion_confidence": 0.7, "severity": "none"}
    assert item["model_id"] == "20261201-090000-shop" and item["language"] == "zh-Hans"
    assert item["at"] == "2026-12-01T09:00:05+00:00" and item["case"] is None
    assert item["suggested"] == {"intent": "query_payment", "emotion": "neutral", "severity": None}


def test_decided_texts_leave_the_inbox(world: World) -> None:
    world.say("c1", "能开专票吗", 1, intent="query_invoice", confidence=0.4)
    world.say("c2", "运费谁出", 2, intent="query_shipping", confidence=0.4)
    reviews.record(world.store.engine, [text_key("能开专票吗")], by="tom", at=T0)
    assert [i["text"] for i in items(inbox(world).page())] == ["运费谁出"]
    assert set(inbox(world).waiting([text_key("能开专票吗"), text_key("运费谁出")])) == {text_key("运费谁出")}


def test_the_agents_final_label_is_the_suggestion(world: World) -> None:
    world.say("c1", "东西坏了你们管不管", 1, intent="query_return_policy", confidence=0.92)
    case = world.case("c1", 5, category="complain_general", severity="general",
                      final_category="complain_product_quality", final_severity="important")
    [item] = items(inbox(world).page())
    assert item["reasons"] == ["label_changed"]
    assert item["case"] == {"id": case, "category": "complain_general", "severity": "general",
                            "final_category": "complain_product_quality", "final_severity": "important",
                            "rating": None}
    assert item["suggested"] == {"intent": "complain_product_quality", "emotion": "neutral", "severity": "important"}


def test_a_fallback_suggests_no_intent(world: World) -> None:
    world.say("c1", "zxqv 木有", 1, intent="nlu_fallback", confidence=0.3, second=None)
    [item] = items(inbox(world).page())
    assert item["suggested"]["intent"] is None and item["reasons"] == ["fallback", "low_confidence"]


def _mixed(world: World) -> None:
    world.say("c1", "积分能换钱吗", 1, intent="query_account", confidence=0.55, second=0.1)  # margin 0.45
    world.say("c2", "发票抬头错了", 2, intent="query_invoice", confidence=0.8, second=0.75)  # margin 0.05
    world.say("c3", "东西坏了你们管不管", 3, intent="query_return_policy", confidence=0.92)
    world.case("c3", 4, category="complain_general", severity="general", final_category="complain_product_quality")
    world.say("c4", "我要的那个还有吗", 5, intent="query_order_status", confidence=0.5, second=0.3)  # margin 0.2


def test_sorted_by_uncertainty_by_newest_and_by_reason(world: World) -> None:
    _mixed(world)
    texts = lambda sort: [i["text"] for i in items(inbox(world).page(sort=sort))]  # noqa: E731
    assert texts("uncertainty") == ["发票抬头错了", "我要的那个还有吗", "积分能换钱吗", "东西坏了你们管不管"]
    assert texts("newest") == ["我要的那个还有吗", "东西坏了你们管不管", "发票抬头错了", "积分能换钱吗"]
    assert texts("reason") == ["东西坏了你们管不管", "我要的那个还有吗", "积分能换钱吗", "发票抬头错了"]


def test_filtered_by_reason_and_paged_by_group(world: World) -> None:
    _mixed(world)
    box = inbox(world)
    assert [i["text"] for i in items(box.page(reasons=["small_margin"]))] == ["发票抬头错了"]
    assert [i["text"] for i in items(box.page(reasons=["label_changed", "small_margin"], sort="newest"))] == \
        ["东西坏了你们管不管", "发票抬头错了"]
    page = box.page(sort="newest", limit=2, offset=1)
    assert page["total"] == 4 and [i["text"] for i in items(page)] == ["东西坏了你们管不管", "发票抬头错了"]
    assert page["thresholds"] == {"low_confidence": 0.6, "small_margin": 0.15, "low_rating": 2, "similarity": 0.6,
                                  "window_days": 30}


def test_similar_messages_share_a_group_in_the_order_asked(world: World) -> None:
    world.say("c1", "我的退款怎么还没到账", 1, intent="query_refund_status", confidence=0.5)
    world.say("c2", "发票可以开电子的吗", 2, intent="query_invoice", confidence=0.4)
    world.say("c3", "我的退款怎么还没有到账啊", 3, intent="query_refund_status", confidence=0.3)
    page = inbox(world).page(sort="uncertainty")
    assert [(g["size"], [i["text"] for i in g["items"]]) for g in page["groups"]] == [
        (2, ["我的退款怎么还没有到账啊", "我的退款怎么还没到账"]), (1, ["发票可以开电子的吗"])]
    assert page["groups"][0]["group"] == "g-" + text_key("我的退款怎么还没有到账啊")[:12]
    assert page["total"] == 2 and page["items_total"] == 3


def test_a_label_written_to_the_review_folder_folds_the_text_out(world: World) -> None:
    world.say("c1", "运费谁出", 1, intent="query_shipping", confidence=0.4)
    box = inbox(world)
    assert len(items(box.page())) == 1
    world.paths.review_dir.mkdir(parents=True)
    (world.paths.review_dir / "2026-12-01.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: query_shipping\n  examples:\n  - text: "运费谁出？"\n', encoding="utf-8")
    assert items(box.page()) == []
