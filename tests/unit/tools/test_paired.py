"""McNemar's exact test of tools/paired.py on made-up verdicts."""

from tools.paired import ALPHA, Paired, compare, verdicts


def test_verdicts_are_one_character_per_row() -> None:
    assert verdicts([True, False, True]) == "101"


def test_only_the_rows_that_changed_count() -> None:
    # 100 rows both right, 10 both wrong: they say nothing about which model is better
    same = "1" * 100 + "0" * 10
    assert compare(same, same) == Paired(0, 0, 1.0)
    result = compare(same + "1100", same + "0011")
    assert result is not None and (result.lost, result.gained) == (2, 2) and not result.worse


def test_losses_only_are_a_loss_from_five_rows() -> None:
    """One-sided exact binomial: 4 of 4 lost has p 1/16 = 0.0625, 5 of 5 has 1/32 = 0.031."""
    four = compare("1111", "0000")
    five = compare("11111", "00000")
    assert four is not None and four.p == 0.0625 and not four.worse
    assert five is not None and five.p == 0.0312 and five.worse and five.p < ALPHA


def test_rows_that_do_not_pair_up_give_no_test() -> None:
    assert compare("", "") is None
    assert compare("101", "10") is None
