"""The names staff read are defined once (core/labels.py): every category the bot can open a case
for, every severity, channel and warning level has a Chinese and an English name, and no other
file keeps its own copy of them."""

from __future__ import annotations

from pathlib import Path

import yaml

from core.labels import LABELS, LANGUAGES, VALUES, as_json, bilingual, label
from core.settings import ROOT
from core.vocabulary import CATEGORIES, COMPLAINT_CATEGORIES, REQUEST_HUMAN, case_category


def domain_intents() -> list[str]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return [i for i in domain["intents"] if isinstance(i, str)]


def test_every_value_of_every_group_has_a_chinese_and_an_english_name() -> None:
    assert set(LABELS) == set(VALUES) == {"category", "severity", "channel", "warning_level"}
    for group, values in VALUES.items():
        assert set(LABELS[group]) == set(values), group  # none missing, none left over from a rename
        for value in values:
            for language in LANGUAGES:
                name = LABELS[group][value][language]
                assert name.strip() == name and name, (group, value, language)
        zh_names = [LABELS[group][v]["zh"] for v in values]
        assert len(set(zh_names)) == len(zh_names), group  # two values one name: a chart could not tell them apart


def test_the_categories_are_the_complaint_intents_of_the_domain_and_a_request_for_a_person() -> None:
    complaints = [i for i in domain_intents() if i.startswith("complain_")]
    assert list(COMPLAINT_CATEGORIES) == complaints
    assert REQUEST_HUMAN in domain_intents() and set(CATEGORIES) == {*complaints, REQUEST_HUMAN}


def test_every_intent_opens_a_case_of_a_named_category() -> None:
    for intent in domain_intents():
        assert label("category", case_category(intent), "zh") != case_category(intent), intent
    assert case_category("complain_refund") == "complain_refund"
    assert case_category("request_human") == "request_human"
    assert case_category("query_order_status") == "complain_general"


def test_a_person_reads_refund_in_their_language_and_a_new_value_as_it_is() -> None:
    assert label("category", "complain_refund", "zh") == "退款"
    assert label("category", "complain_refund", "zh-Hans") == "退款"
    assert label("category", "complain_refund", "en") == "refund"
    assert label("severity", "severe", "zh") == "严重" and label("channel", "telegram", "en") == "Telegram"
    assert label("warning_level", "important", "zh") == "重要预警"
    assert label("category", "complain_new_kind", "zh") == "complain_new_kind"
    assert label("no_such_group", "x", "en") == "x"
    assert bilingual("category", "complain_refund") == "退款 refund"
    assert bilingual("channel", "telegram") == "Telegram"  # not "Telegram Telegram"
    assert bilingual("category", "x") == "x"
    assert as_json()["category"]["complain_refund"] == {"zh": "退款", "en": "refund"}


def test_no_other_file_defines_the_category_names_again() -> None:
    """The console gets them from the service, the reports and the summary import them."""
    sources = [*(ROOT / "handoff" / "console").glob("*.js"), *(ROOT / "handoff").rglob("*.py"),
               *(ROOT / "shop").rglob("*.py"), *(ROOT / "actions").rglob("*.py"), ROOT / "nlu_data" / "knowledge" /
               "handoff.yml"]
    for path in sources:
        text = Path(path).read_text(encoding="utf-8")
        for value, names in LABELS["category"].items():
            for language in LANGUAGES:
                assert f'{value}: "{names[language]}"' not in text, (path, value)
                assert f'"{value}": ("{names["zh"]}"' not in text, (path, value)
            assert f"{value}: {{zh:" not in text, (path, value)
