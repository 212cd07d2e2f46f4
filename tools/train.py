"""Trains the model unless one from the same data and config already exists.

Rasa fingerprints config, domain and data itself and skips an unchanged training; we add the
spaCy pipeline build in front and a fixed model name so every tool finds the model.
"""

from __future__ import annotations

import sys
import time

from core.settings import ROOT, load
from tools import spacy_build

MODEL_NAME = "shop"


def model_path() -> str:
    return str(load().model_dir / f"{MODEL_NAME}.tar.gz")


def main() -> int:
    spacy_build.build()
    from rasa.model_training import train

    started = time.monotonic()
    result = train(
        domain=str(ROOT / "domain.yml"),
        config=str(ROOT / "config.yml"),
        training_files=[str(ROOT / "nlu_data")],
        output=str(load().model_dir),
        fixed_model_name=MODEL_NAME,
    )
    if result.code != 0 or not result.model:
        print("training failed", file=sys.stderr)
        return result.code or 1
    print(f"model: {result.model} ({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
