"""`make train` skips an up-to-date model without training; what counts as up to date.

Rasa is replaced by a recorder of its calls: the decisions are ours, and a real training takes
minutes. What Rasa's dry run answers is played by `dry_run_code`.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterator

import pytest
import rasa.model_training

from core.settings import ROOT
from tools import spacy_build, train, training_order


class FakeRasa:
    def __init__(self, dry_run_code: int) -> None:
        self.dry_run_code = dry_run_code
        self.calls: list[dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        if kwargs.get("dry_run"):
            return SimpleNamespace(code=self.dry_run_code, model=None)
        model = Path(kwargs["output"]) / f"{kwargs['fixed_model_name']}.tar.gz"
        model.write_bytes(os.urandom(64))  # every training writes a new archive
        return SimpleNamespace(code=0, model=str(model))

    @property
    def trainings(self) -> int:
        return sum(1 for c in self.calls if not c.get("dry_run"))

    @property
    def dry_runs(self) -> int:
        return sum(1 for c in self.calls if c.get("dry_run"))


NLU = """version: "3.1"
nlu:
- intent: greet
  examples: |
    - hello
    - 你好
- intent: goodbye
  examples:
  - text: bye
  - text: 再见
"""


@pytest.fixture()
def models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("MODEL_DIR", str(tmp_path / "models"))
    monkeypatch.setenv(training_order.CACHE_ENV, str(tmp_path / "cache"))
    (tmp_path / "models").mkdir()
    monkeypatch.setattr(spacy_build, "build", lambda *a, **k: spacy_build.OUTPUT)
    (tmp_path / "nlu.yml").write_text(NLU, encoding="utf-8")
    monkeypatch.setattr(train, "training_files", lambda: [tmp_path / "nlu.yml"])
    yield tmp_path / "models"


def fake(monkeypatch: pytest.MonkeyPatch, dry_run_code: int) -> FakeRasa:
    rasa_train = FakeRasa(dry_run_code)
    monkeypatch.setattr(rasa.model_training, "train", rasa_train)
    return rasa_train


def test_no_model_is_trained(models: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    rasa_train = fake(monkeypatch, dry_run_code=0)  # even a complete cache does not make a model file
    assert train.main([]) == 0
    assert rasa_train.trainings == 1
    assert (models / "shop.tar.gz").exists() and (models / "shop.tar.gz.stamp").exists()
    assert "training: there is no model yet" in capsys.readouterr().out


def test_unchanged_inputs_skip_rasa_entirely(models: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    fake(monkeypatch, dry_run_code=1)
    train.main([])
    capsys.readouterr()
    rasa_train = fake(monkeypatch, dry_run_code=1)  # would retrain, if asked
    assert train.main([]) == 0
    assert rasa_train.calls == []
    out = capsys.readouterr().out
    assert out.startswith(f"model is up to date: {models / 'shop.tar.gz'}") and out.count("\n") == 1


def test_a_model_without_stamp_is_kept_when_the_dry_run_finds_every_step_cached(
        models: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    (models / "shop.tar.gz").write_bytes(b"trained before stamps existed")
    rasa_train = fake(monkeypatch, dry_run_code=0)
    assert train.main([]) == 0
    assert (rasa_train.dry_runs, rasa_train.trainings) == (1, 0)
    assert (models / "shop.tar.gz").read_bytes() == b"trained before stamps existed"
    assert "model is up to date" in capsys.readouterr().out
    # ... and stamped, so the next start does not ask Rasa again.
    again = fake(monkeypatch, dry_run_code=1)
    train.main([])
    assert again.calls == []


def test_changed_data_retrains(models: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake(monkeypatch, dry_run_code=1)
    train.main([])
    monkeypatch.setattr(train, "inputs_digest", lambda **_: "edited")
    rasa_train = fake(monkeypatch, dry_run_code=1)  # Rasa: a step is not in the cache
    assert train.main([]) == 0
    assert (rasa_train.dry_runs, rasa_train.trainings) == (1, 1)


def test_reverted_edit_rebuilds_the_model_although_the_cache_is_complete(models: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Edit, train, revert: the cache holds both trainings, so the dry run answers 0, but the
    model file is the edited one. It must not be kept."""
    fake(monkeypatch, dry_run_code=1)
    monkeypatch.setattr(train, "inputs_digest", lambda **_: "edited")
    train.main([])
    monkeypatch.setattr(train, "inputs_digest", lambda **_: "original")
    rasa_train = fake(monkeypatch, dry_run_code=0)
    assert train.main([]) == 0
    assert rasa_train.trainings == 1


def test_a_model_replaced_by_another_file_is_not_vouched_for(models: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake(monkeypatch, dry_run_code=1)
    train.main([])
    (models / "shop.tar.gz").write_bytes(b"copied from elsewhere")
    rasa_train = fake(monkeypatch, dry_run_code=1)
    train.main([])
    assert rasa_train.trainings == 1


def test_force_trains_without_asking(models: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake(monkeypatch, dry_run_code=0)
    train.main([])
    rasa_train = fake(monkeypatch, dry_run_code=0)
    assert train.main(["--force"]) == 0
    assert rasa_train.dry_runs == 0 and rasa_train.calls[0]["force_training"] is True


def test_moved_examples_retrain_every_step_although_the_cache_is_complete(
        models: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Rasa's cache keys the data by its examples sorted: moved examples would get the steps
    trained on the old order (stop 36). Moving them back after a training is a move too."""
    fake(monkeypatch, dry_run_code=1)
    train.main([])
    nlu = models.parent / "nlu.yml"
    nlu.write_text(NLU.replace("- hello\n    - 你好", "- 你好\n    - hello"), encoding="utf-8")
    monkeypatch.setattr(train, "inputs_digest", lambda **_: "moved")
    rasa_train = fake(monkeypatch, dry_run_code=0)  # Rasa: every step is in the cache
    capsys.readouterr()
    assert train.main([]) == 0
    assert rasa_train.dry_runs == 0 and rasa_train.calls[0]["force_training"] is True
    assert f"training: {training_order.MOVED}" in capsys.readouterr().out
    nlu.write_text(NLU, encoding="utf-8")
    monkeypatch.setattr(train, "inputs_digest", lambda **_: "original")
    back = fake(monkeypatch, dry_run_code=0)
    train.main([])
    assert back.calls[0]["force_training"] is True


def test_an_edit_that_keeps_the_order_uses_the_cache(models: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake(monkeypatch, dry_run_code=1)
    train.main([])
    nlu = models.parent / "nlu.yml"
    nlu.write_text("# a trainer's comment\n" + NLU, encoding="utf-8")
    monkeypatch.setattr(train, "inputs_digest", lambda **_: "commented")
    rasa_train = fake(monkeypatch, dry_run_code=0)
    train.main([])
    assert rasa_train.dry_runs == 1 and rasa_train.calls[1]["force_training"] is False


def test_inputs_digest_follows_content_not_file_times(tmp_path: Path) -> None:
    """A fresh clone gives every file a new mtime; the digest must not notice."""
    copy = tmp_path / "tree"
    for name in ("config.yml", "domain.yml"):
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, copy / name)
    for folder in (train.DATA_DIR, *train.SOURCE_DIRS):
        shutil.copytree(ROOT / folder, copy / folder, ignore=shutil.ignore_patterns("__pycache__"))
    before = train.inputs_digest(copy, "spacy")
    for path in copy.rglob("*"):
        os.utime(path, (1, 1))
    assert train.inputs_digest(copy, "spacy") == before
    assert train.inputs_digest(copy, "other spacy") != before
    lexicon = copy / "nlu_data" / "lexicons" / "risk.yml"
    lexicon.write_text(lexicon.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert train.inputs_digest(copy, "spacy") != before


@pytest.mark.parametrize("code, exists, recorded, expected", [
    (0, True, None, None),
    (0, True, "same", None),
    (0, True, "other", "the model was trained from other inputs (its steps are in the cache)"),
    (1, True, "same", "data, config or components changed"),
    (0, False, None, "there is no model yet"),
])
def test_training_reason(code: int, exists: bool, recorded: str | None, expected: str | None) -> None:
    assert train.training_reason(code, exists, recorded, "same") == expected


def test_spacy_pipeline_is_not_rebuilt_for_new_file_times(tmp_path: Path) -> None:
    patterns = tmp_path / "patterns.yml"
    shutil.copy(spacy_build.PATTERNS, patterns)
    output = tmp_path / "spacy_shop"
    spacy_build.build(output, patterns=patterns)
    built = (output / "meta.json").stat().st_mtime_ns
    os.utime(patterns, None)  # newer than the output, same content: a checkout or a clone
    spacy_build.build(output, patterns=patterns)
    assert (output / "meta.json").stat().st_mtime_ns == built
    patterns.write_text(patterns.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert not spacy_build.up_to_date(output, patterns)
    spacy_build.build(output, patterns=patterns)
    assert spacy_build.up_to_date(output, patterns)


def test_a_measuring_tool_without_a_model_is_told_to_train(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "shop.tar.gz"
    assert train.trained_model(missing) is None
    assert f"error: no model at {missing}; run `make train` first" in capsys.readouterr().err
    missing.write_bytes(b"archive")
    assert train.trained_model(str(missing)) == missing
