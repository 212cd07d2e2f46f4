"""Whether Rasa's cache holds steps trained on the same training examples in another order.

Rasa keys a trained step by a fingerprint of its inputs, and `TrainingData.fingerprint` sorts the
examples first. The intent classifiers are not indifferent to order (batches and the validation
split follow it), so after examples are moved and moved back, `make train` takes steps trained on
the moved order from the cache: at stop 36 that changed 7 of 320 out-of-scope held-out answers.

So each training records, in a ledger inside the cache directory (wiping the cache wipes it
too), the order in which it saw each set of examples; a later training of the same set in another
order is forced. The examples are read with a plain YAML parse, not Rasa's loader (14 s with its
schema check): the set is keyed by (intent, text) only, so a change Rasa's key sees and ours does
not (a `risk: none` label, say) can only force a training that the cache would not have served.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Iterable, Iterator, NamedTuple, Optional

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's: a tenth of the time
LEDGER_NAME = "example_order.json"
# Rasa's own default and variable (`rasa.engine.caching`), read here without importing Rasa.
CACHE_ENV, DEFAULT_CACHE = "RASA_CACHE_DIRECTORY", ".rasa/cache"
MOVED = "training examples were moved since the cache's training of them (Rasa's cache ignores their order)"


class ExampleOrder(NamedTuple):
    examples: str  # the examples as a set: what Rasa's cache key sees
    order: str  # the same examples in the order training reads them


def _examples(item: dict[str, Any]) -> Iterator[str]:
    """The example texts of one `- intent:` item, written either as a `|` block or as a list."""
    block = item.get("examples")
    if isinstance(block, str):
        for line in block.splitlines():
            line = line.strip()
            if line.startswith("- "):
                yield line[2:].strip()
    elif isinstance(block, list):
        for entry in block:
            text = entry.get("text") if isinstance(entry, dict) else entry
            if isinstance(text, str):
                yield text.strip()


def read(files: Iterable[Path]) -> ExampleOrder:
    """The two digests of the examples in these NLU files, taken in the order given."""
    examples: list[str] = []
    order: list[str] = []
    for path in files:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
        items = document.get("nlu") if isinstance(document, dict) else None
        if not items:
            continue  # stories, rules, lexicons: no examples
        # Rasa orders files by their names, so a renamed file counts as moved examples.
        order.append(f"file\0{path.name}")
        for item in items:
            if isinstance(item, dict) and "intent" in item:
                lines = [f"{item['intent']}\0{text}" for text in _examples(item)]
                examples.extend(lines)
                order.extend(lines)

    def digest(lines: Iterable[str]) -> str:
        return hashlib.sha256("\n".join(lines).encode()).hexdigest()

    return ExampleOrder(digest(sorted(examples)), digest(order))


def files_under(folders: Iterable[Path]) -> list[Path]:
    """The YAML files of these folders, each folder's sorted, as a retraining hands them to Rasa
    (`read` skips the files without examples, so the lexicons and stories change nothing)."""
    return [path for folder in folders for path in sorted(Path(folder).rglob("*.yml"))]


def ledger_path() -> Path:
    return Path(os.environ.get(CACHE_ENV, DEFAULT_CACHE)) / LEDGER_NAME


def _ledger(path: Path) -> dict[str, str]:
    try:
        ledger = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return ledger if isinstance(ledger, dict) else {}


def moved(current: ExampleOrder, path: Optional[Path] = None) -> bool:
    """True when the cache's last training of these examples saw them in another order."""
    recorded = _ledger(path or ledger_path()).get(current.examples)
    return recorded is not None and recorded != current.order


def record(current: ExampleOrder, path: Optional[Path] = None) -> None:
    """Called after a training: the cache's steps for this set are now this order's (Rasa's cache
    replaces an entry under the same key)."""
    path = path or ledger_path()
    ledger = _ledger(path)
    ledger[current.examples] = current.order
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(ledger, indent=0) + "\n", encoding="utf-8")
    tmp.replace(path)
