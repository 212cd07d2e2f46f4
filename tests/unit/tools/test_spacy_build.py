import pytest

from tools.spacy_build import build_pipeline, load_patterns


@pytest.fixture(scope="module")
def nlp():
    return build_pipeline(load_patterns())


@pytest.mark.parametrize(
    "text, expected",
    [
        ("订单20251103887到哪了", [("20251103887", "order_id")]),
        ("order no. #20251103887 status", [("#20251103887", "order_id")]),
        ("案件c-20251120-0042处理到哪一步了", [("c-20251120-0042", "case_id")]),
        ("电话13812345678", [("13812345678", "phone")]),
        ("call me at +86 138 1234 5678", [("+86 138 1234 5678", "phone")]),
        ("手機 0912-345-678", [("0912-345-678", "phone")]),
        ("付了¥59.9还没发货", [("¥59.9", "amount")]),
        ("多扣了NT$1,200", [("NT$1,200", "amount")]),
        ("200块钱", [("200块钱", "amount")]),
        ("charged $25.99 twice", [("$25.99", "amount")]),
        ("11月3日下的单", [("11月3", "date")]),
        ("ordered on Nov 3", [("Nov 3", "date")]),
        ("2025-11-03买的", [("2025-11-03", "date")]),
    ],
)
def test_extracts_structured_entities(nlp, text: str, expected: list[tuple[str, str]]) -> None:
    assert [(e.text, e.label_) for e in nlp(text).ents] == expected
