"""What staff read for the shared values, in Chinese and English, defined once: complaint
categories (complain_refund → 退款 / refund), severities, channels and volume-warning levels.

The agents' console gets them from the handoff service (`GET /console/labels.json`, read before
the page renders), the daily and weekly reports (handoff/reports/render.py), the handoff summary
and the warning texts read them here, so a category is called the same in the queue, in the
statistics, in a printed report and in a warning. They used to be written out in each of those
places and had drifted apart (产品质量 in the console, 商品质量 in the summary).

What the bot says to customers about their own complaint is not here: that is sentence wording
that trainers edit with the answers, in three scripts ("your refund", nlu_data/knowledge/).
"""

from __future__ import annotations

from typing import Mapping

from core.channels import PREFIXES
from core.vocabulary import CATEGORIES, SEVERITIES, WARNING_LEVELS

LANGUAGES: tuple[str, ...] = ("zh", "en")  # zh: Simplified, the script staff read

# group → value → language → name. The values of each group are core's own (tests check them).
LABELS: Mapping[str, Mapping[str, Mapping[str, str]]] = {
    "category": {
        "complain_product_quality": {"zh": "产品质量", "en": "product quality"},
        "complain_delivery": {"zh": "物流配送", "en": "delivery"},
        "complain_service_attitude": {"zh": "服务态度", "en": "service attitude"},
        "complain_billing": {"zh": "扣费账单", "en": "billing"},
        "complain_refund": {"zh": "退款", "en": "refund"},
        "complain_false_advertising": {"zh": "虚假宣传", "en": "false advertising"},
        "complain_privacy_security": {"zh": "隐私安全", "en": "privacy & security"},
        # not 一般投诉: 一般 is also a severity; "其他" reads well in a column and in the summary
        "complain_general": {"zh": "其他", "en": "other issues"},
        "request_human": {"zh": "要求人工", "en": "asked for a person"},
    },
    "severity": {
        "none": {"zh": "无", "en": "none"},
        "general": {"zh": "一般", "en": "general"},
        "important": {"zh": "重要", "en": "important"},
        "severe": {"zh": "严重", "en": "severe"},
    },
    # keyed by the channel name a case stores (Rasa's, core/channels.py)
    "channel": {
        "socketio": {"zh": "网页客服", "en": "web chat"},
        "telegram": {"zh": "Telegram", "en": "Telegram"},
        "wechat": {"zh": "微信公众号", "en": "WeChat"},
        "rest": {"zh": "REST 接口", "en": "REST API"},
        "callback": {"zh": "回调接口", "en": "callback API"},
    },
    # the guides' own terms stay visible in English: supervisors are trained on them
    "warning_level": {
        "general": {"zh": "一般预警", "en": "general warning (一般预警)"},
        "important": {"zh": "重要预警", "en": "important warning (重要预警)"},
        "severe": {"zh": "严重预警", "en": "severe warning (严重预警)"},
    },
}

# The values each group must name: core's vocabularies, so a new category cannot ship unnamed.
VALUES: Mapping[str, tuple[str, ...]] = {
    "category": CATEGORIES,
    "severity": SEVERITIES,
    "channel": tuple(PREFIXES),
    "warning_level": WARNING_LEVELS,
}


def label(group: str, value: str, language: str = "zh") -> str:
    """The name of `value` in `language` ("zh…" is Chinese, anything else English); the value
    itself when it has none, so new data still shows rather than failing a page."""
    names = LABELS.get(group, {}).get(value)
    if names is None:
        return value
    return names["zh" if language.startswith("zh") else "en"]


def bilingual(group: str, value: str) -> str:
    """"退款 refund": both names, for the reports that every reader gets in one language set."""
    names = LABELS.get(group, {}).get(value)
    if names is None:
        return value
    return names["zh"] if names["zh"] == names["en"] else f"{names['zh']} {names['en']}"


def as_json() -> dict[str, dict[str, dict[str, str]]]:
    """Every label as plain JSON data (GET /console/labels.json)."""
    return {group: {value: dict(names) for value, names in values.items()} for group, values in LABELS.items()}
