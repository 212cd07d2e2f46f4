"""The training data meets the product's floor, and the held-out file is never trained on."""

import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import yaml

from bot.language import detect
from bot.settings import ROOT

NLU = ROOT / "nlu_data" / "nlu"
HELDOUT = sorted((ROOT / "tests" / "data").glob("heldout_*.jsonl"))


def training_examples() -> list[tuple[str, str]]:
    examples = []
    for path in sorted(NLU.glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            for line in block["examples"].splitlines():
                if line.strip().startswith("- "):
                    examples.append((block["intent"], line.strip()[2:].strip()))
    return examples


def domain_intents() -> list[str]:
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["intents"]


def norm(text: str) -> str:
    return re.sub(r"[\s\W_]+", "", text.lower())


def test_every_intent_has_enough_examples_in_every_language() -> None:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for intent, text in training_examples():
        language = detect(text) or "none"
        counts[intent]["zh" if language.startswith("zh") else language] += 1
        counts[intent][language] += 1
    for intent in domain_intents():
        assert counts[intent]["zh"] >= 60, (intent, counts[intent])
        assert counts[intent]["zh-Hant"] >= 10, (intent, counts[intent])
        assert counts[intent]["en"] >= 25, (intent, counts[intent])


def test_heldout_covers_every_intent_in_every_language_and_is_not_trained_on() -> None:
    trained = {norm(text) for _, text in training_examples()}
    per: Counter[tuple[str, str]] = Counter()
    for path in HELDOUT:
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            assert norm(row["text"]) not in trained, row["text"]
            per[(row["intent"], row["lang"])] += 1
    for intent in domain_intents():
        for language in ("zh-Hans", "zh-Hant", "en"):
            assert per[(intent, language)] >= 10, (intent, language)


def test_no_example_is_labelled_with_two_intents() -> None:
    seen: dict[str, str] = {}
    for intent, text in training_examples():
        assert seen.setdefault(text, intent) == intent, text


def test_measurement_sets_are_not_copied(tmp_path: Path) -> None:
    shared = ROOT.parent / "shared" / "data"
    if not shared.exists():
        return
    texts = set()
    for path in shared.glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            text = json.loads(line).get("text", "").strip()
            if len(text) >= 8:
                texts.add(text)
    copied = [text for _, text in training_examples() if text in texts]
    assert not copied, copied[:5]
