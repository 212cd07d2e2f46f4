"""Builds the rule-based spaCy pipeline (blank zh + jieba + EntityRuler) from nlu_data/entities/.

Nothing is downloaded: the pipeline is a blank language plus the trainers' patterns. Rasa's
`SpacyNLP` loads it from `build/spacy_shop` and `SpacyEntityExtractor` returns its entities.
The build is skipped when the output is newer than the pattern file.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

from core.settings import ROOT

PATTERNS = ROOT / "nlu_data" / "entities" / "patterns.yml"
OUTPUT = ROOT / "build" / "spacy_shop"


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


def build(output: Path = OUTPUT, force: bool = False) -> Path:
    if not force and (output / "meta.json").exists() and output.stat().st_mtime >= PATTERNS.stat().st_mtime:
        return output
    nlp = build_pipeline(load_patterns())
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    nlp.to_disk(tmp)
    shutil.rmtree(output, ignore_errors=True)
    tmp.rename(output)
    print(f"built spaCy entity pipeline → {output.relative_to(ROOT)}")
    return output


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    args = parser.parse_args(argv)
    build(force=args.force)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
