"""Replacing a file whole: a reader sees the old file or the new one, never half, and nothing stray is left."""

from pathlib import Path

import pytest

from core.files import replace_whole


def test_the_new_content_replaces_the_file_and_no_temporary_file_is_left(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "state.json"
    replace_whole(target, lambda temporary: temporary.write_text("old"))
    replace_whole(target, lambda temporary: temporary.write_text("new"))
    assert target.read_text() == "new"
    assert [p.name for p in target.parent.iterdir()] == ["state.json"]


def test_a_writer_that_fails_half_way_leaves_the_old_file_and_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    target.write_text("old")

    def fails(temporary: Path) -> None:
        temporary.write_text("ha")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        replace_whole(target, fails)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_two_writers_at_once_each_get_their_own_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "cache.npz"
    seen: list[Path] = []

    def inner(temporary: Path) -> None:
        seen.append(temporary)
        temporary.write_text("second")

    def outer(temporary: Path) -> None:
        temporary.write_text("first")
        replace_whole(target, inner)
        seen.append(temporary)

    replace_whole(target, outer)  # the inner writer finished inside the outer one; both renames succeed
    assert seen[0] != seen[1] and target.read_text() == "first"
