"""Where the trainers' inbox reads the training data and writes its labels.

The review folder is a setting (TRAINING_REVIEW_DIR, default nlu_data/review) so tests and
throw-away stacks write elsewhere than the repository; whatever it is, its files count as
training data for the inbox's folding, and `make train` reads them when they are under nlu_data/.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from core.settings import DATA_DIR, ROOT, Settings


@dataclass(frozen=True)
class TrainingPaths:
    data_dir: Path = DATA_DIR  # every nlu_data/**/*.yml example is "already in the training data"
    review_dir: Path = DATA_DIR / "review"  # where labels are written, one file per day
    domain_file: Path = ROOT / "domain.yml"  # the intents a label may name
    root: Path = ROOT  # files are shown relative to the repository

    @classmethod
    def of(cls, settings: Optional[Settings] = None) -> TrainingPaths:
        return cls() if settings is None else cls(review_dir=settings.training_review_dir)

    def data_dirs(self) -> tuple[Path, ...]:
        """The folders whose examples the inbox folds out: the data, and the review folder if apart."""
        inside = self.review_dir.resolve().is_relative_to(self.data_dir.resolve())
        return (self.data_dir,) if inside else (self.data_dir, self.review_dir)

    def shown(self, path: Path) -> str:
        """A file as people and the API name it: relative to the repository when it is inside."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return str(path)
