import pytest

from shop.risk import LexiconError, RiskMatcher, risks


@pytest.mark.parametrize(
    "text, expected",
    [
        ("充电宝冒烟起火，差点烧到孩子", ["safety_health"]),
        ("充電寶冒煙起火", ["safety_health"]),
        ("再不退钱我就去12315投诉", ["regulator"]),
        ("再唔退錢我就去消委會", ["regulator"]),
        ("我要找律师起诉你们，还要发到微博曝光", ["legal", "media"]),
        ("my account was hacked and someone used my card", ["fraud_account"]),
        ("This is the THIRD TIME I'm asking, I will post it on TikTok", ["media", "repeat_contact"]),
        ("你们这垃圾服务", ["abuse"]),
        ("快递晚了一天，下次注意", []),
        ("where is my order 20251103887", []),
        ("the fireworks shop", []),
    ],
)
def test_finds_risk_kinds_in_both_scripts_and_english(text: str, expected: list[str]) -> None:
    assert risks(text) == expected


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(LexiconError, match="unknown kind 'weather'"):
        RiskMatcher({"weather": {"zh": ["下雨"]}})
