"""Lexicon recipes: terms spelled by one phrase from each list, as a trainer writes them."""

import pytest

from core.language import fold
from shop.recipes import compile_recipe, read_recipes


def test_a_recipe_matches_every_choice_of_one_phrase_per_list() -> None:
    pattern = compile_recipe("zh", [["问", "反映"], ["了", "过"], ["", "你们"], ["十几", "不下十"], ["次", "回"]])
    for text in ("我问了十几次", "反映过你们不下十回了", "问了你们十几次"):
        assert pattern.search(fold(text)), text
    for text in ("问了", "用了十几次就坏了", "十几次", "问了两次"):
        assert not pattern.search(fold(text)), text


def test_a_chinese_recipe_matches_both_scripts_and_across_spaces() -> None:
    pattern = compile_recipe("zh", [["联系"], ["了"], ["十几"], ["次"]])
    assert pattern.search(fold("我聯繫了十幾次"))
    assert pattern.search(fold("联系了 十几 次"))


def test_the_evidence_is_the_longest_phrase() -> None:
    pattern = compile_recipe("zh", [["问"], ["了"], ["十", "十几"], ["次"]])
    found = pattern.search(fold("问了十几次"))
    assert found is not None and found.group() == "问了十几次"


def test_an_english_recipe_matches_whole_words_in_any_case() -> None:
    pattern = compile_recipe("en", [["emailed", "called you"], ["", "at least"], ["ten", "a dozen"], ["times"]])
    for text in ("I've EMAILED a dozen times", "called  you at least ten times!", "Called you ten times."):
        assert pattern.search(text), text
    for text in ("re-emailed tentimes", "I emailed ten timesheets", "washed it ten times", "unemailed ten times"):
        assert not pattern.search(text), text


@pytest.mark.parametrize(
    "raw, message",
    [
        ([["问"], ["了"]], "`compose:` must have `zh:` and/or `en:`"),
        ({"fr": [[["a"], ["b"]]]}, "`compose:` must have `zh:` and/or `en:`"),
        ({"zh": [["问", "了"]]}, "two or more non-empty lists"),
        ({"zh": [[["问"]]]}, "two or more non-empty lists"),
        ({"zh": [[["问"], []]]}, "two or more non-empty lists"),
        ({"zh": [[["问"], [["nested"]]]]}, "two or more non-empty lists"),
        ({"zh": [[["", "问"], ["了"]]]}, "first list cannot leave its part out"),
        ({"zh": "问了"}, "must be a list of recipes"),
    ],
)
def test_a_malformed_recipe_is_refused_saying_what_is_wrong(raw: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        read_recipes(raw)


def test_numbers_read_by_yaml_are_phrases() -> None:
    assert read_recipes({"zh": [[["问了"], [10, "十"], ["次"]]]}) == {"zh": [[["问了"], ["10", "十"], ["次"]]]}
