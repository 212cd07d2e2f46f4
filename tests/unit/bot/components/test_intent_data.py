"""intent_data: an example marked `intent_training: false` is read by the heads, never by the
intent classifiers; everything else is left as the trainers wrote it."""

from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.intent_data import for_intents, intent_examples, learns_intent


def _example(text: str, metadata: object = None) -> Message:
    return Message.build(text=text, intent="out_of_scope", example_metadata=metadata)


def test_only_an_explicit_false_keeps_an_example_from_the_intents() -> None:
    assert learns_intent(_example("where is my order"))
    assert learns_intent(_example("where is my order", {"emotion": "neutral"}))
    assert learns_intent(_example("where is my order", {"intent_training": True}))
    assert not learns_intent(_example("又加班，呵呵", {"emotion": "anger", "intent_training": False}))
    assert not learns_intent(_example("又加班，呵呵", {"intent_training": "false"}))


def test_the_heads_keep_the_example_and_the_intents_lose_it() -> None:
    kept, head_only = _example("hello"), _example("楼下又在半夜装修", {"emotion": "anger", "intent_training": False})
    data = TrainingData([kept, head_only])
    assert intent_examples(data) == [kept]
    assert for_intents(data).training_examples == [kept]
    # The heads are trained on the data object itself, which is not changed.
    assert data.training_examples == [kept, head_only]


def test_data_without_marked_examples_is_passed_through_as_it_is() -> None:
    data = TrainingData([_example("hello"), _example("thanks")])
    assert for_intents(data) is data
