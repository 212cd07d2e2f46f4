"""Builds the rule-based spaCy pipeline (blank zh + jieba + EntityRuler) from nlu_data/entities/.

Nothing is downloaded: the pipeline is a blank language plus the trainers' patterns. Rasa's
`SpacyNLP` loads it from `build/spacy_shop` and `SpacyEntityExtractor` returns its entities.
The build is skipped when the output was built from the same patterns: the check compares a digest
of the pattern file's content (and spaCy's version) stored in the output, not file times. A fresh
clone, a checkout or a `touch` gives files new mtimes without changing what they say; rebuilding
then would rewrite `build/spacy_shop` for nothing, and whoever reads the output's time (a person, a
cache, `make`) would think the pipeline changed.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

from core.settings import ROOT

PATTERNS = ROOT / "nlu_data" / "entities" / "patterns.yml"
OUTPUT = ROOT / "build" / "spacy_shop"
STAMP = "patterns.sha256"  # inside the output: what it was built from


def load_patterns(path: Path = PATTERNS) -> list[dict[str, Any]]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    patterns = raw.get("patterns")
    if not isinstance(patterns, list) or not patterns:
        raise SystemExit(f"{path}: needs a non-empty `patterns:` list")
    for i, item in enumerate(patterns):
        valid = isinstance(item, dict) and isinstance(item.get("label"), str) and isinstance(item.get("pattern"), list)
        if not valid:
            raise SystemExit(f"{path}: pattern #{i + 1} needs `label` (text) and `pattern` (list of token specs)")
    return [{"label": p["label"], "pattern": p["pattern"]} for p in patterns]


def build_pipeline(patterns: list[dict[str, Any]]) -> Any:
    import spacy

    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    ruler: Any = nlp.add_pipe("entity_ruler", config={"validate": True})
    ruler.add_patterns(patterns)
    return nlp


def source_digest(patterns: Path = PATTERNS) -> str:
    """What the pipeline is built from: the pattern file's bytes and the spaCy version that
    serialises it (an upgraded spaCy may not read an old pipeline)."""
    from importlib.metadata import version

    digest = hashlib.sha256(patterns.read_bytes())
    digest.update(f"\nspacy=={version('spacy')}".encode())
    return digest.hexdigest()


def up_to_date(output: Path = OUTPUT, patterns: Path = PATTERNS) -> bool:
    stamp = output / STAMP
    if not (output / "meta.json").exists() or not stamp.exists():
        return False
    return stamp.read_text(encoding="utf-8").strip() == source_digest(patterns)


def build(output: Path = OUTPUT, force: bool = False, patterns: Path = PATTERNS) -> Path:
    if not force and up_to_date(output, patterns):
        return output
    digest = source_digest(patterns)
    nlp = build_pipeline(load_patterns(patterns))
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    nlp.to_disk(tmp)
    # Written last, inside the directory that is renamed into place: an interrupted build
    # leaves no stamp, so the next run builds again.
    (tmp / STAMP).write_text(digest + "\n", encoding="utf-8")
    # Swap by renames, so a Rasa starting meanwhile finds the directory missing for microseconds,
    # not for as long as deleting it takes.
    old = output.with_name(output.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if output.exists():
        output.rename(old)
    tmp.rename(output)
    shutil.rmtree(old, ignore_errors=True)
    print(f"built spaCy entity pipeline → {output}")
    return output


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    args = parser.parse_args(argv)
    build(force=args.force)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
