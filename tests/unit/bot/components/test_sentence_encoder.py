"""The pretrained sentence vector: what the package gives, the cache, and the feature it adds."""

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.sentence_encoder import DIMENSIONS, SentenceEncoderFeaturizer, VectorCache, encode


def cosine(a: str, b: str) -> float:
    return float(encode(a, 96) @ encode(b, 96).T)


def test_the_wheel_gives_the_known_vectors() -> None:
    """Cosines measured when the package was chosen (docs/emotion_severity.md): a changed or
    corrupted wheel moves them, and every head trained on the old vectors would be off."""
    vector = encode("我要投诉，你们的快递三天都没到！", 96)
    assert vector.shape == (1, DIMENSIONS) and float(np.linalg.norm(vector)) == pytest.approx(1.0, abs=1e-3)
    assert cosine("我要投诉，你们的快递三天都没到！", "I am extremely angry about the late delivery") == \
        pytest.approx(0.38, abs=0.03)
    assert cosine("謝謝你們的幫忙，服務很好", "thank you, the service was great") == pytest.approx(0.44, abs=0.03)


def test_paraphrases_and_both_scripts_land_near_each_other() -> None:
    """What the n-grams cannot see: the same complaint in other words or the other script."""
    same = cosine("充电宝冒烟起火了", "充電寶冒煙起火了")
    unrelated = cosine("充电宝冒烟起火了", "请问你们几点下班")
    assert same > 0.8 and unrelated < 0.5
    assert cosine("the buckle snapped while I was driving", "the seat belt clip broke on the road") > \
        cosine("the buckle snapped while I was driving", "what are your opening hours")


def test_input_is_cut_so_a_long_message_costs_no_more_than_max_chars() -> None:
    long = "退货" * 5000
    assert np.allclose(encode(long, 96), encode(long[:96], 96))


def test_the_cache_returns_what_encoding_gives_and_survives_a_reload(tmp_path: Path) -> None:
    cache = VectorCache(tmp_path, 96)
    first = cache.get("退款什么时候到账")
    assert np.allclose(first, encode("退款什么时候到账", 96))
    cache.save()
    again = VectorCache(tmp_path, 96)
    assert again.vectors and np.allclose(again.get("退款什么时候到账"), first) and again.added == 0


def test_two_trainings_saving_at_once_both_succeed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Played as two processes: the second saves between the first's writing and its rename.
    With one fixed temporary name the first's rename found its file gone (FileNotFoundError)."""
    first, second = VectorCache(tmp_path, 96), VectorCache(tmp_path, 96)
    first.get("退款什么时候到账")
    second.get("where is my parcel")
    write = np.savez

    def interleaved(file: Any, **arrays: Any) -> None:
        write(file, **arrays)
        monkeypatch.setattr(np, "savez", write)
        second.save()  # the other training saves between this one's writing and its rename

    monkeypatch.setattr(np, "savez", interleaved)
    first.save()
    reread = VectorCache(tmp_path, 96)
    assert VectorCache.key("退款什么时候到账") in reread.vectors
    assert [p.name for p in tmp_path.iterdir()] == [reread.path.name]  # no temporary file left


def test_a_save_keeps_what_another_training_saved_since_it_read_the_file(tmp_path: Path) -> None:
    first, second = VectorCache(tmp_path, 96), VectorCache(tmp_path, 96)
    first.get("退款什么时候到账")
    first.save()
    second.get("where is my parcel")
    second.save()
    assert set(VectorCache(tmp_path, 96).vectors) == {VectorCache.key("退款什么时候到账"),
                                                       VectorCache.key("where is my parcel")}


def test_a_torn_cache_file_is_rebuilt_not_trusted(tmp_path: Path) -> None:
    cache = VectorCache(tmp_path, 96)
    cache.path.write_bytes(b"not an npz")
    assert VectorCache(tmp_path, 96).vectors == {}


def test_training_and_run_time_add_the_same_sentence_feature(tmp_path: Path) -> None:
    config = {**SentenceEncoderFeaturizer.get_default_config(), "cache_dir": str(tmp_path), "weight": 2.0}
    featurizer = SentenceEncoderFeaturizer(config)
    trained = Message.build(text="我的包裹丢了", intent="complain_shipping")
    featurizer.process_training_data(TrainingData([trained, Message.build(text="   ", intent="greet")]))
    live = Message.build(text="我的包裹丢了")
    featurizer.process([live])
    _, at_training = trained.get_dense_features(TEXT, ["use"])
    _, at_run_time = live.get_dense_features(TEXT, ["use"])
    assert at_training is not None and at_run_time is not None
    assert np.allclose(at_training.features, at_run_time.features)
    assert float(np.linalg.norm(at_run_time.features)) == pytest.approx(2.0, abs=1e-3)  # the weight
