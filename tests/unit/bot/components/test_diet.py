"""ShopDIETClassifier: DIET as Rasa ships it, except that examples written for the heads only
(`intent_training: false`) teach it no intent."""

from pathlib import Path

from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.diet import ShopDIETClassifier
from tests.unit.bot.components.pipeline import TOKENIZER, parse, train_and_load, training_data

HEAD_ONLY = ["楼下又在半夜装修，服了", "又加班，又没加班费", "谁偷了我的电动车电瓶", "气死，刚洗的车又被鸟拉了"]


def test_examples_for_the_heads_only_teach_diet_no_intent(tmp_path: Path) -> None:
    marked = [Message.build(text=text, intent="out_of_scope",
                            example_metadata={"emotion": "anger", "intent_training": False}) for text in HEAD_ONLY]
    data = TrainingData(training_data().training_examples + marked)
    diet = (ShopDIETClassifier, {"epochs": 2, "entity_recognition": False, "number_of_transformer_layers": 0,
                                 "random_seed": 42})
    pipeline = train_and_load(tmp_path, [TOKENIZER, (CountVectorsFeaturizer, {}), diet], data)
    result = parse(pipeline, HEAD_ONLY[0])
    names = {entry["name"] for entry in result["intent_ranking"]}
    assert "out_of_scope" not in names
    assert names <= {"query_order_status", "thank", "complain_delivery", "complain_product_quality", "greet"}
