"""Trains the model unless the one at the model path is already the model of this data and config.

`rasa.model_training.train` always runs the training graph: Rasa's graph cache (`.rasa/cache`,
`RASA_CACHE_DIRECTORY`) only makes an unchanged training cheaper, and even a fully cached run
reloads the data, re-featurises it and repackages the model (about a minute and a half here).
`make run` trains first, so every start paid for that. Instead:

1. The fast path, without importing Rasa: a stamp next to the model (`shop.tar.gz.stamp`) records
   a digest of everything training reads (config, domain, `nlu_data/`, the Python of `bot/`,
   `shop/` and `core/`, the built spaCy pipeline's source digest, the installed package
   versions) and of the model file itself. Same digests: the model is up to date.
2. Otherwise Rasa's dry run (`train(..., dry_run=True)`) says whether the cache holds every step
   for these inputs (code 0). It does not say that the model file was built from them (edit,
   train, revert the edit: the cache holds both trainings), so a model whose stamp names other
   inputs is rebuilt; that training takes its steps from the cache. A model without a stamp
   (trained before stamps existed) is trusted when the cache is complete.

3. Rasa keys its cache by the examples sorted (`TrainingData.fingerprint`), so a step trained on
   the same examples in another order would be reused. At stop 36 examples were moved to the end
   of their files, trained, and put back: the next training took the intent classifiers of the
   moved order from the cache, and 7 of the 320 out-of-scope held-out questions differed from a
   fresh training's. `tools/training_order.py` records the order each training saw; when the
   examples were moved since, the training is forced.

`--force` retrains everything and ignores the cache.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from importlib.metadata import distributions
from pathlib import Path
from typing import Iterable, Optional

from core.settings import ROOT, load
from tools import spacy_build, training_order
from tools.logfile import output_to, tail

MODEL_NAME = "shop"
# What a training reads besides the files Rasa is given: our components and what they import.
SOURCE_DIRS = ("bot", "shop", "core")
DATA_FILES = ("config.yml", "domain.yml")
DATA_DIR = "nlu_data"


def training_files() -> list[Path]:
    """The files of the folder Rasa is given, as `tools/retrain.py` lists its own
    (`training_order.files_under`: only the files with NLU examples count)."""
    return training_order.files_under([ROOT / DATA_DIR])


def model_path() -> str:
    return str(load().model_dir / f"{MODEL_NAME}.tar.gz")


def trained_model(given: Optional[Path | str] = None) -> Optional[Path]:
    """The archive a measuring tool reads (the one given, else the trained one), or None once the
    person has been told to train: every tool says it the same way and exits with 2."""
    model = Path(given or model_path())
    if model.exists():
        return model
    print(f"error: no model at {model}; run `make train` first", file=sys.stderr)
    return None


def stamp_path(model: Path) -> Path:
    return model.with_name(model.name + ".stamp")


def _files(root: Path) -> Iterable[Path]:
    for name in DATA_FILES:
        yield root / name
    yield from sorted(p for p in (root / DATA_DIR).rglob("*") if p.is_file())
    for folder in SOURCE_DIRS:
        yield from sorted(p for p in (root / folder).rglob("*.py") if "__pycache__" not in p.parts)


def inputs_digest(root: Path = ROOT, spacy_digest: Optional[str] = None) -> str:
    """A digest of the content (never the times) of what a training reads, so a fresh clone, a
    checkout or a `touch` leaves it alone."""
    digest = hashlib.sha256()
    for path in _files(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest() if path.exists() else b"missing")
    digest.update(f"spacy_pipeline={spacy_digest}\0".encode())
    packages = sorted(f"{d.metadata['Name']}=={d.version}".lower() for d in distributions())
    digest.update("\n".join(packages).encode())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_stamp(model: Path) -> Optional[dict[str, str]]:
    """The stamp, if it belongs to this very model file (a model copied over another keeps no
    stamp that vouches for it)."""
    try:
        stamp = json.loads(stamp_path(model).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stamp, dict) or not model.exists() or stamp.get("model") != file_digest(model):
        return None
    return stamp


def write_stamp(model: Path, inputs: str) -> None:
    stamp = {"inputs": inputs, "model": file_digest(model)}
    tmp = stamp_path(model).with_suffix(".tmp")
    tmp.write_text(json.dumps(stamp) + "\n", encoding="utf-8")
    tmp.replace(stamp_path(model))


def training_reason(dry_run_code: int, model_exists: bool, recorded_inputs: Optional[str],
                    inputs: str) -> Optional[str]:
    """Why the model must be (re)built, or None when the model at the path is up to date.

    `dry_run_code` is Rasa's dry-run `TrainingResult.code`: 0 when the cache holds every step
    for these inputs. `recorded_inputs` is the stamp's input digest (None: no stamp)."""
    if not model_exists:
        return "there is no model yet"
    if dry_run_code != 0:
        return "data, config or components changed"
    if recorded_inputs is not None and recorded_inputs != inputs:
        return "the model was trained from other inputs (its steps are in the cache)"
    return None


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--force", action="store_true", help="retrain every step, ignoring the cache")
    args = parser.parse_args(argv)

    started = time.monotonic()
    spacy_build.build()
    model = Path(model_path())
    inputs = inputs_digest(spacy_digest=spacy_build.source_digest())
    stamp = read_stamp(model)
    if not args.force and stamp is not None and stamp.get("inputs") == inputs:
        print(f"model is up to date: {model} (training inputs unchanged, {time.monotonic() - started:.1f} s)")
        return 0

    log = load().var_dir / "logs" / "train.log"  # Rasa's pages of output; the terminal gets one line
    with output_to(log):
        from rasa.model_training import TrainingResult, train

        from bot import schema_cache

        schema_cache.apply()  # unchanged data files skip Rasa's schema check (bot/schema_cache.py)

    def run(**options: bool) -> TrainingResult:
        with output_to(log):
            return train(domain=str(ROOT / "domain.yml"), config=str(ROOT / "config.yml"),
                         training_files=[str(ROOT / DATA_DIR)], output=str(model.parent),
                         fixed_model_name=MODEL_NAME, **options)

    # Read before training, so a file edited meanwhile is not recorded as what the cache holds.
    order = training_order.read(training_files())
    force = args.force
    if not force and training_order.moved(order):
        print(f"training: {training_order.MOVED}")
        force = True
    if not force:
        dry = run(dry_run=True)
        reason = training_reason(dry.code, model.exists(),
                                 stamp.get("inputs") if stamp else None, inputs)
        if reason is None:
            write_stamp(model, inputs)
            print(f"model is up to date: {model} (Rasa's dry run: every step cached, "
                  f"{time.monotonic() - started:.0f} s)")
            return 0
        print(f"training: {reason}")

    result = run(force_training=force)
    if result.code != 0 or not result.model:
        print(f"training failed; the end of {log}:\n{tail(log)}", file=sys.stderr)
        return result.code or 1
    training_order.record(order)
    write_stamp(Path(result.model), inputs)
    print(f"model: {result.model} ({time.monotonic() - started:.0f} s; Rasa's output in {log})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
