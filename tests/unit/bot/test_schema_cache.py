"""Rasa's YAML schema check, remembered for texts that passed it: a broken file still fails."""

from pathlib import Path

import pytest
import rasa.shared.utils.validation as validation
from rasa.shared.exceptions import YamlException
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

from bot import schema_cache

GOOD = 'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - 你好\n    - hello\n'
BROKEN = 'version: "3.1"\nnlu:\n- intent: greet\n  examples: 5\n  surprise: true\n'


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(validation, "validate_yaml_schema", validation.validate_yaml_schema)  # undone after
    monkeypatch.setattr(schema_cache, "FOLDER", schema_cache.FOLDER)
    schema_cache.apply(tmp_path)
    return tmp_path


def test_a_file_that_passed_is_not_checked_again(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert RasaYAMLReader().reads(GOOD).intents == {"greet"}
    assert len(list(cache.iterdir())) == 1
    calls: list[str] = []
    monkeypatch.setattr(schema_cache, "_original", lambda *a, **k: calls.append("checked"))
    assert RasaYAMLReader().reads(GOOD).intents == {"greet"}
    assert calls == []  # remembered
    RasaYAMLReader().reads(GOOD.replace("hello", "hi there"))
    assert calls == ["checked"]  # another text is checked


def test_a_broken_file_fails_every_time_and_is_never_remembered(cache: Path) -> None:
    for _ in range(2):
        with pytest.raises(YamlException):
            RasaYAMLReader().reads(BROKEN)
    assert list(cache.iterdir()) == []
