import pytest

from core.language import detect


@pytest.mark.parametrize(
    "text, expected",
    [
        ("订单 20251103887 到哪了", "zh-Hans"),
        ("請問我的訂單什麼時候會到", "zh-Hant"),
        ("我張單去咗邊", "zh-Hant"),
        ("where is my order?", "en"),
        ("我的order到哪了", "zh-Hans"),
        ("refund 什么时候到账", "zh-Hans"),
        ("20251103887", None),
        ("C-20251120-0042", None),
        ("👍", None),
    ],
)
def test_detects_language_and_script(text: str, expected: str) -> None:
    assert detect(text) == expected


def test_script_neutral_chinese_keeps_the_conversations_script() -> None:
    assert detect("退款", previous="zh-Hant") == "zh-Hant"
    assert detect("退款", previous="en") == "zh-Hans"
    assert detect("退款") == "zh-Hans"
