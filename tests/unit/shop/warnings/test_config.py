"""warnings.yml: defaults when it is missing, the key's name when a value is wrong."""

from pathlib import Path

import pytest

from shop.warnings import WarningSettings, WarningSettingsError, load_settings
from shop.warnings.config import DEFAULT_FILE


def test_missing_file_means_every_default(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "nowhere.yml") == WarningSettings()


def test_the_repository_file_holds_the_documented_defaults() -> None:
    assert DEFAULT_FILE.exists()
    assert load_settings(DEFAULT_FILE) == WarningSettings()


def test_env_names_another_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "w.yml"
    path.write_text("quiet_hours: 6\nowners: {complain_refund: 退款组 Alice}\n", encoding="utf-8")
    monkeypatch.setenv("WARNINGS_FILE", str(path))
    settings = load_settings()
    assert settings.quiet_hours == 6.0
    assert settings.owner_for("complain_refund") == "退款组 Alice"
    assert settings.owner_for("complain_delivery") == "supervisor on duty"


@pytest.mark.parametrize(("text", "key"), [
    ("z_one_hour: high\n", "z_one_hour"),
    ("baseline_weeks: 2.5\n", "baseline_weeks"),
    ("min_count: -1\n", "min_count"),
    ("quiet_hours: true\n", "quiet_hours"),
    ("deadline_minutes: {urgent: 5}\n", "deadline_minutes.urgent"),
    ("deadline_minutes: {severe: 0}\n", "deadline_minutes.severe"),
    ("owners: {default: ''}\n", "owners.default"),
    ("z_one_hr: 3\n", "z_one_hr"),
])
def test_a_bad_value_names_its_key(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "w.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(WarningSettingsError, match=key.replace(".", r"\.")):
        load_settings(path)


def test_broken_yaml_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "w.yml"
    path.write_text("quiet_hours: [3\n", encoding="utf-8")
    with pytest.raises(WarningSettingsError, match="not valid YAML"):
        load_settings(path)


def test_deadlines_per_level() -> None:
    settings = WarningSettings()
    assert settings.deadline_for("severe") < settings.deadline_for("important") < settings.deadline_for("general")
