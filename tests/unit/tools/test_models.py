"""The model versions (tools/models.py): what `make models` lists and where `make rollback`
goes. Model files are a few bytes here: the registry copies them and never opens them."""

from __future__ import annotations

from pathlib import Path

import pytest

from handoff.training.versions import archive_of, current_version, read_meta, versions
from tools import models


def model_file(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / f"m-{content.decode()}.tar.gz"
    path.write_bytes(content)
    return path


def test_register_makes_numbered_versions_each_current_with_its_parent(tmp_path: Path) -> None:
    root = tmp_path / "models"
    first = models.register(model_file(tmp_path, b"one"), root=root, data="abc")
    second = models.register(model_file(tmp_path, b"two"), root=root, data="def",
                             scores={"languages": {"en": {"intent_accuracy": 0.95}}})
    assert (first, second) == ("v1", "v2") and versions(root) == ["v1", "v2"]
    assert current_version(root) == "v2"
    assert archive_of(root, "v2").read_bytes() == b"two"
    meta = read_meta(root, "v2")
    assert meta["parent"] == "v1" and meta["data_hash"] == "def" and meta["promoted_at"]


def test_an_unpromoted_version_is_kept_but_not_current(tmp_path: Path) -> None:
    root = tmp_path / "models"
    models.register(model_file(tmp_path, b"one"), root=root)
    models.register(model_file(tmp_path, b"two"), root=root, promote=False)
    assert current_version(root) == "v1" and versions(root) == ["v1", "v2"]


def test_rollback_returns_to_the_version_each_one_replaced(tmp_path: Path) -> None:
    root = tmp_path / "models"
    for content in (b"one", b"two", b"three"):
        models.register(model_file(tmp_path, content), root=root)
    assert models.rollback(root) == ("v3", "v2")
    assert current_version(root) == "v2"
    assert models.rollback(root) == ("v2", "v1")
    with pytest.raises(models.RegistryError, match="first version"):
        models.rollback(root)
    assert models.rollback(root, to="v3") == ("v1", "v3")  # forward again: nothing was deleted
    with pytest.raises(models.RegistryError, match="no model version v9"):
        models.rollback(root, to="v9")


def test_adopt_registers_a_newly_trained_model_once(tmp_path: Path) -> None:
    root = tmp_path / "models"
    trained = model_file(tmp_path, b"trained")
    assert models.adopt(trained, root) == "v1"
    assert models.adopt(trained, root) == "v1" and versions(root) == ["v1"]
    models.register(model_file(tmp_path, b"retrained"), root=root)
    models.rollback(root)
    assert models.adopt(trained, root) == "v1"  # a restart after a rollback keeps the rollback
    trained.write_bytes(b"trained again")  # `make train` with new data
    assert models.adopt(trained, root) == "v3" and current_version(root) == "v3"


def test_the_listing_marks_the_current_version(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "models"
    models.register(model_file(tmp_path, b"one"), root=root, data="0123456789abcdef")
    models.register(model_file(tmp_path, b"two"), root=root, scores={"languages": {
        "en": {"intent_accuracy": 0.9537, "emotion_macro_f1": 0.8612, "severe_recall": 1.0}}})
    assert models.main(["--root", str(root), "rollback"]) == 0
    assert models.main(["--root", str(root), "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("* v1") and "0123456789ab" in lines[1] and "not evaluated" in lines[1]
    assert lines[2].startswith("  v2") and "en 0.954/0.861/1.000" in lines[2]
    assert models.main(["--root", str(root), "current"]) == 0
    assert capsys.readouterr().out.strip() == "v1"


def test_a_damaged_current_file_names_no_version(tmp_path: Path) -> None:
    root = tmp_path / "models"
    models.register(model_file(tmp_path, b"one"), root=root)
    (root / "current").write_text("../../etc/passwd\n")
    assert current_version(root) is None
    assert models.main(["--root", str(root), "current"]) == 1


def test_rasa_pulls_the_current_version_from_the_handoff_service_every_5_s() -> None:
    import yaml

    from tools.endpoints import render

    text = render("http://localhost:5055/webhook", "redis://localhost:6379/0", database_url="sqlite:///x.db",
                  model_url="http://127.0.0.1:8000/models/current.tar.gz")
    assert yaml.safe_load(text)["models"] == {"url": "http://127.0.0.1:8000/models/current.tar.gz",
                                              "wait_time_between_pulls": 5}
    assert "models" not in yaml.safe_load(render("http://a/webhook", "redis://r:1/0", database_url="sqlite://"))
