"""A small in-memory NLU pipeline for the component tests: a few dozen labelled examples, each
component trained into a LocalModelStorage, persisted, and loaded back from it into a fresh
instance, which is what then parses the test messages (as a Rasa server that loads a model does)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Type

from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.emotion import EmotionClassifier
from bot.components.language import LanguageDetector
from bot.components.linear_intent import LinearIntentClassifier
from bot.components.ngrams import NgramFeaturizer
from bot.components.risk import RiskExtractor
from bot.components.severity import SeverityGrader
from bot.components.tokenizer import FoldingJiebaTokenizer
from core.settings import ROOT

Stage = Tuple[Type[GraphComponent], Dict[str, Any]]

# (text, intent, emotion, severity); emotion and severity are the trainers' metadata labels.
EXAMPLES: List[Tuple[str, str, Optional[str], Optional[str]]] = [
    ("我的订单到哪了", "query_order_status", "neutral", None),
    ("订单什么时候发货", "query_order_status", "neutral", None),
    ("帮我查一下订单物流", "query_order_status", "neutral", None),
    ("查询订单状态", "query_order_status", "neutral", None),
    ("where is my order", "query_order_status", "neutral", None),
    ("can you check my order status", "query_order_status", "neutral", None),
    ("track my order please", "query_order_status", "neutral", None),
    ("谢谢你们，服务很好", "thank", "joy", None),
    ("太感谢了，非常满意", "thank", "joy", None),
    ("谢谢，问题解决了", "thank", "joy", None),
    ("thanks a lot, great service", "thank", "joy", None),
    ("thank you so much, really helpful", "thank", "joy", None),
    ("快递晚了一天，下次注意", "complain_delivery", "sadness", "general"),
    ("快递慢了两天，有点失望", "complain_delivery", "sadness", "general"),
    ("送货晚了，唉", "complain_delivery", "sadness", "general"),
    ("the parcel came a day late, a bit disappointed", "complain_delivery", "sadness", "general"),
    ("快递一周了还没到，气死我了", "complain_delivery", "anger", "important"),
    ("你们的快递太过分了，十天都没送到", "complain_delivery", "anger", "important"),
    ("delivery is two weeks late, this is ridiculous", "complain_delivery", "anger", "important"),
    ("worst delivery ever, totally unacceptable", "complain_delivery", "anger", "important"),
    ("充电宝冒烟起火，差点烧到孩子", "complain_product_quality", "anger", "severe"),
    ("电池鼓包还冒烟了，太危险了", "complain_product_quality", "anger", "severe"),
    ("插座烧焦了，吓死人", "complain_product_quality", "anger", "severe"),
    ("the charger caught fire, my kid almost got burned", "complain_product_quality", "anger", "severe"),
    ("收到的杯子有裂缝，质量太差", "complain_product_quality", "anger", "important"),
    ("衣服洗一次就掉色了，质量不行", "complain_product_quality", "sadness", "general"),
    ("the shoes fell apart after a week, terrible quality", "complain_product_quality", "anger", "important"),
    ("你好", "greet", "neutral", None),
    ("您好，在吗", "greet", "neutral", None),
    ("hello there", "greet", "neutral", None),
    ("hi", "greet", "neutral", None),
]

CONTEXT = ExecutionContext(GraphSchema({}), "test")

TOKENIZER: Stage = (FoldingJiebaTokenizer, {})
NGRAMS: Stage = (NgramFeaturizer, {"alias": "ngrams", "char_ngrams": [1, 3], "word_ngrams": [1, 2]})
LINEAR_INTENT: Stage = (LinearIntentClassifier, {"featurizers": ["ngrams"], "C": 2.0, "scale": 8.0, "weight": 0.5})
RISK: Stage = (RiskExtractor, {"lexicon": str(ROOT / "nlu_data/lexicons/risk.yml"), "featurizers": ["ngrams"],
                               "threshold": 0.5, "min_examples": 3})
EMOTION: Stage = (EmotionClassifier, {"featurizers": ["ngrams"], "lexicon": str(ROOT / "nlu_data/lexicons/emotion.yml"),
                                      "polarity": True, "lexicon_weight": 0.2, "C": 32.0})
SEVERITY: Stage = (SeverityGrader, {"featurizers": ["ngrams"]})
LANGUAGE: Stage = (LanguageDetector, {})
# The order of config.yml, without Rasa's own components.
FULL = [LANGUAGE, TOKENIZER, NGRAMS, LINEAR_INTENT, RISK, EMOTION, SEVERITY]


def training_data() -> TrainingData:
    messages = []
    for text, intent, emotion, severity in EXAMPLES:
        labels = {key: value for key, value in (("emotion", emotion), ("severity", severity)) if value is not None}
        messages.append(Message.build(text=text, intent=intent, example_metadata=labels or None))
    return TrainingData(messages)


def train_and_load(path: Path, stages: Sequence[Stage], data: Optional[TrainingData] = None) -> List[GraphComponent]:
    """Trains the stages in order (each one on the data the earlier ones processed), each into
    its own resource of a model storage in `path`; returns the components loaded back from a new
    storage object over the same directory."""
    data = data if data is not None else training_data()
    loaded: List[GraphComponent] = []
    for cls, overrides in stages:
        config = {**cls.get_default_config(), **overrides}
        resource = Resource(cls.__name__)
        component = cls.create(config, LocalModelStorage(path), resource, CONTEXT)
        if hasattr(component, "train"):
            component.train(data)
        if hasattr(component, "process_training_data"):
            data = component.process_training_data(data)
        loaded.append(cls.load(config, LocalModelStorage(path), resource, CONTEXT))
    return loaded


def process(components: Sequence[GraphComponent], text: str) -> Message:
    message = Message.build(text=text)
    for component in components:
        component.process([message])
    return message


def parse(components: Sequence[GraphComponent], text: str) -> Dict[str, Any]:
    """What a client sees of the message: the parse result's fields, through JSON as Rasa's
    HTTP API, tracker store and event broker send it (numpy scalars would not get through)."""
    return json.loads(json.dumps(process(components, text).as_dict(only_output_properties=True)))
