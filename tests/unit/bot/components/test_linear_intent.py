"""LinearIntentClassifier: the intent and its ranking in the parse result, alone or mixed with
the ranking DIET put there before it."""

from pathlib import Path

import pytest
from rasa.engine.graph import GraphComponent
from rasa.shared.nlu.constants import INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from tests.unit.bot.components.pipeline import (
    LINEAR_INTENT,
    NGRAMS,
    TOKENIZER,
    parse,
    process,
    train_and_load,
    training_data,
)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> list[GraphComponent]:
    return train_and_load(Path(tmp_path_factory.mktemp("model")), [TOKENIZER, NGRAMS, LINEAR_INTENT])


@pytest.mark.parametrize("text, intent", [
    ("我的订单到哪了", "query_order_status"),
    ("訂單什麼時候發貨", "query_order_status"),
    ("where is my order", "query_order_status"),
    ("谢谢，问题解决了", "thank"),
    ("thanks a lot", "thank"),
    ("快递慢了两天，有点失望", "complain_delivery"),
    ("充电宝冒烟起火了", "complain_product_quality"),
    ("您好", "greet"),
])
def test_intent_and_confidence(pipeline: list[GraphComponent], text: str, intent: str) -> None:
    result = parse(pipeline, text)
    assert result["intent"]["name"] == intent
    assert result["intent"]["confidence"] > 0.5
    ranking = result["intent_ranking"]
    assert ranking[0] == result["intent"]
    assert [r["confidence"] for r in ranking] == sorted((r["confidence"] for r in ranking), reverse=True)
    assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0)


def test_mixes_with_the_ranking_diet_gave(pipeline: list[GraphComponent]) -> None:
    alone = parse(pipeline, "我的订单到哪了")["intent"]["confidence"]
    *upstream, linear = pipeline
    message = process(upstream, "我的订单到哪了")
    message.set(INTENT_RANKING_KEY, [{"name": "query_order_status", "confidence": 0.6},
                                     {"name": "greet", "confidence": 0.4}])
    linear.process([message])
    result = message.as_dict(only_output_properties=True)
    # weight 0.5: half the linear model's confidence, half DIET's.
    assert result["intent"]["name"] == "query_order_status"
    assert result["intent"]["confidence"] == pytest.approx(0.5 * alone + 0.5 * 0.6)
    greet = next(r for r in result["intent_ranking"] if r["name"] == "greet")
    assert greet["confidence"] >= 0.5 * 0.4


def test_examples_for_the_heads_only_teach_no_intent(tmp_path: Path) -> None:
    marked = [Message.build(text=text, intent="out_of_scope", example_metadata={"intent_training": False})
              for text in ("楼下又在半夜装修，服了", "又加班，又没加班费", "谁偷了我的电动车电瓶")]
    data = TrainingData(training_data().training_examples + marked)
    result = parse(train_and_load(tmp_path, [TOKENIZER, NGRAMS, LINEAR_INTENT], data), "楼下又在半夜装修，服了")
    assert "out_of_scope" not in {entry["name"] for entry in result["intent_ranking"]}
