"""What counts as moved training examples, for the cache's sake (tools/training_order.py)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import SimpleNamespace

import pytest

from tools import training_order
from tools.crossval import training_nlu_files

BLOCK = """nlu:
- intent: greet
  examples: |
    - hello
    - hi there
- intent: bye
  examples:
  - text: bye
    metadata:
      risk: none
  - text: see you
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_move_keeps_the_set_and_changes_the_order(tmp_path: Path) -> None:
    before = training_order.read([write(tmp_path, "a.yml", BLOCK)])
    after = training_order.read([write(tmp_path, "a.yml", BLOCK.replace("- hello\n    - hi there",
                                                                       "- hi there\n    - hello"))])
    assert after.examples == before.examples and after.order != before.order


def test_a_list_and_a_block_of_the_same_examples_are_the_same_set(tmp_path: Path) -> None:
    block = training_order.read([write(tmp_path, "a.yml", BLOCK)])
    as_list = BLOCK.replace("  examples: |\n    - hello\n    - hi there",
                            "  examples:\n  - text: hello\n  - text: hi there")
    assert training_order.read([write(tmp_path, "a.yml", as_list)]) == block


def test_moving_an_example_to_another_intent_is_another_set(tmp_path: Path) -> None:
    before = training_order.read([write(tmp_path, "a.yml", BLOCK)])
    relabelled = BLOCK.replace("- hi there\n", "").replace("  - text: see you", "  - text: see you\n  - text: hi there")
    assert training_order.read([write(tmp_path, "a.yml", relabelled)]).examples != before.examples


def test_a_renamed_file_counts_as_moved(tmp_path: Path) -> None:
    first = write(tmp_path, "a.yml", BLOCK)
    second = write(tmp_path, "b.yml", "nlu:\n- intent: x\n  examples: |\n    - y\n")
    assert training_order.read([first, second]).order != training_order.read([second, first]).order


def test_the_ledger_remembers_the_last_order_per_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(training_order.CACHE_ENV, str(tmp_path / "cache"))
    first = training_order.ExampleOrder("set", "order 1")
    assert not training_order.moved(first)  # nothing trained yet: the cache cannot serve a move
    training_order.record(first)
    assert training_order.ledger_path() == tmp_path / "cache" / training_order.LEDGER_NAME
    assert not training_order.moved(first)
    moved = training_order.ExampleOrder("set", "order 2")
    assert training_order.moved(moved)
    training_order.record(moved)
    assert training_order.moved(first) and not training_order.moved(moved)
    assert not training_order.moved(training_order.ExampleOrder("another set", "order 1"))


def test_a_damaged_ledger_forces_nothing(tmp_path: Path) -> None:
    ledger = write(tmp_path, "ledger.json", "{not json")
    assert not training_order.moved(training_order.ExampleOrder("set", "order"), ledger)
    training_order.record(training_order.ExampleOrder("set", "order"), ledger)
    assert not training_order.moved(training_order.ExampleOrder("set", "order"), ledger)


def test_the_plain_parse_reads_the_examples_rasa_reads() -> None:
    """Blocks and lists alike: the set digest of a file is the digest of Rasa's examples of it."""
    from rasa.shared.nlu.training_data.loading import load_data

    files = training_nlu_files()
    files = ([f for f in files if "examples: |" in f.read_text(encoding="utf-8")][:2]
             + [f for f in files if "- text:" in f.read_text(encoding="utf-8")][:2])
    assert len(files) == 4
    for path in files:
        rasa = sorted(f"{m.get('intent')}\0{m.get('text')}" for m in load_data(str(path)).intent_examples)
        assert training_order.read([path]).examples == hashlib.sha256("\n".join(rasa).encode()).hexdigest()


def test_a_retraining_of_moved_examples_retrains_every_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The trainers' console retrains through Rasa's cache too: the review folder's examples in a
    new order must not get the old order's steps."""
    import rasa.model_training

    from tools import retrain, spacy_build

    monkeypatch.setenv(training_order.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(spacy_build, "build", lambda *a, **k: spacy_build.OUTPUT)
    calls: list[dict[str, object]] = []

    def rasa_train(**kwargs: object) -> SimpleNamespace:
        calls.append(kwargs)
        model = tmp_path / "candidate.tar.gz"
        model.write_bytes(b"model")
        return SimpleNamespace(code=0, model=str(model))

    monkeypatch.setattr(rasa.model_training, "train", rasa_train)
    data, review = tmp_path / "nlu_data", tmp_path / "review"
    data.mkdir()
    review.mkdir()
    write(data, "nlu.yml", BLOCK)
    write(data, "rules.yml", "rules: []\n")
    labelled = "nlu:\n- intent: greet\n  examples: |\n    - yo\n    - hey\n"

    def candidate() -> bool:
        retrain.train_candidate(data, tmp_path, tmp_path / "log", retrain.Status(None), 60.0, [review])
        return bool(calls[-1]["force_training"])

    write(review, "labels.yml", labelled)
    assert candidate() is False
    assert candidate() is False  # the same order again: the cache serves it
    write(review, "labels.yml", labelled.replace("- yo\n    - hey", "- hey\n    - yo"))
    assert candidate() is True
    assert candidate() is False
