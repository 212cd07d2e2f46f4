"""Where labels go and what counts as training data, from the settings."""

from __future__ import annotations

from pathlib import Path

from core.settings import DATA_DIR, ROOT, load
from handoff.training.paths import TrainingPaths


def test_labels_go_to_nlu_data_review_unless_the_setting_says_otherwise(tmp_path: Path) -> None:
    assert TrainingPaths.of(load({})).review_dir == DATA_DIR / "review"
    moved = TrainingPaths.of(load({"TRAINING_REVIEW_DIR": str(tmp_path / "labels")}))
    assert moved.review_dir == tmp_path / "labels" and moved.data_dir == DATA_DIR


def test_a_review_folder_outside_the_data_is_read_as_data_too(tmp_path: Path) -> None:
    assert TrainingPaths().data_dirs() == (DATA_DIR,)
    apart = TrainingPaths(review_dir=tmp_path / "labels")
    assert apart.data_dirs() == (DATA_DIR, tmp_path / "labels")


def test_files_are_named_relative_to_the_repository(tmp_path: Path) -> None:
    paths = TrainingPaths()
    assert paths.shown(ROOT / "nlu_data" / "review" / "2026-12-03.yml") == "nlu_data/review/2026-12-03.yml"
    assert paths.shown(tmp_path / "x.yml") == str(tmp_path / "x.yml")
