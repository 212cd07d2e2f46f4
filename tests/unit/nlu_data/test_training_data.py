"""The training data meets the product's floor, and the held-out file is never trained on."""

import json
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import yaml

from core.language import detect
from core.settings import ROOT

NLU = ROOT / "nlu_data" / "nlu"
HELDOUT = sorted((ROOT / "tests" / "data").glob("heldout_*.jsonl"))


def labelled_examples() -> list[tuple[str, str, dict[str, Any]]]:
    """(intent, text, example metadata) for both ways Rasa YAML lists examples."""
    examples: list[tuple[str, str, dict[str, Any]]] = []
    for path in sorted(NLU.glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            if isinstance(block["examples"], str):
                for line in block["examples"].splitlines():
                    if line.strip().startswith("- "):
                        examples.append((block["intent"], line.strip()[2:].strip(), {}))
            else:
                for item in block["examples"]:
                    examples.append((block["intent"], str(item["text"]).strip(), item.get("metadata") or {}))
    return examples


def training_examples() -> list[tuple[str, str]]:
    return [(intent, text) for intent, text, _ in labelled_examples()]


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
            if "intent" in row:  # the counted-contacts file labels a risk kind only
                per[(row["intent"], row["lang"])] += 1
    for intent in domain_intents():
        for language in ("zh-Hans", "zh-Hant", "en"):
            assert per[(intent, language)] >= 10, (intent, language)


EMOTIONS = ("anger", "anxiety", "sadness", "joy", "surprise", "neutral")


def test_every_emotion_has_enough_examples_in_every_language() -> None:
    counts: Counter[tuple[str, str]] = Counter()
    for _, text, metadata in labelled_examples():
        if "emotion" in metadata:
            assert metadata["emotion"] in EMOTIONS, (text, metadata)
            language = detect(text) or "none"
            counts[(metadata["emotion"], "zh" if language.startswith("zh") else language)] += 1
    for emotion in EMOTIONS:
        assert counts[(emotion, "zh")] >= 150, (emotion, counts)
        assert counts[(emotion, "en")] >= 50, (emotion, counts)


def test_severity_examples_cover_every_category_at_every_level() -> None:
    seen: set[tuple[str, str]] = set()
    for intent, text, metadata in labelled_examples():
        if intent.startswith("complain_") and intent != "complain_general":
            assert metadata.get("severity", "general") in ("general", "important", "severe"), (text, metadata)
            if "severity" in metadata:
                seen.add((intent, metadata["severity"]))
    categories = [i for i in domain_intents() if i.startswith("complain_") and i != "complain_general"]
    missing = [(c, level) for c in categories for level in ("general", "important", "severe") if (c, level) not in seen]
    assert not missing, missing


def test_no_example_is_labelled_with_two_intents() -> None:
    seen: dict[str, str] = {}
    for intent, text in training_examples():
        assert seen.setdefault(text, intent) == intent, text


def test_no_example_starts_with_a_slash() -> None:
    """Rasa reads a message that starts with "/" as an intent command ("/greet"), not as text:
    a microblog repost written "//@someone: ..." would teach nothing and warn at every load."""
    assert [text for _, text in training_examples() if text.startswith("/")] == []


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


def test_severity_labels_agree_with_the_grading_rules() -> None:
    """Severe exactly when the risk lexicon finds a severe signal or the trainer labelled one
    (`risk: kind`, the paraphrases the lexicon lacks); upset complaints never general.

    The rules give these parts of the level (shop/severity.py); only minor vs material is learned.
    """
    from shop.risk import risks
    from shop.severity import Impact, grade

    disagreements = []
    for intent, text, metadata in labelled_examples():
        label = metadata.get("severity")
        if label is None or not intent.startswith("complain_"):
            continue
        base = Impact("general" if label == "general" else "important", 1.0)
        labelled = metadata.get("risk")
        kinds = [labelled] if isinstance(labelled, str) and labelled != "none" else []
        graded = grade(intent, metadata.get("emotion"), 1.0, risks(text) + kinds, impact=base).level
        if graded != label:
            disagreements.append((text, intent, metadata, graded))
    assert not disagreements, f"{len(disagreements)} disagreements, e.g. {disagreements[:8]}"
