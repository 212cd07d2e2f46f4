"""Masking of personal numbers in what agents, logs and summaries show (SPEC section 9).

One left-to-right scan with a single regex: the numbers an agent needs to work with (this
shop's order numbers, case ids, amounts, dates, times) are alternatives listed first, so a
position that starts one of them is passed over whole and never half-masked by a phone or a
card pattern. Masking keeps enough digits for the agent to confirm a number with the customer
("the phone ending in 5678") and keeps separators, so the shape stays readable.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

# Not preceded by an ASCII letter or digit: numbers glued to Chinese text ("电话13812345678") still
# count, while tracking numbers like SF1402938475612 or JD0098123344 do not.
_START = r"(?<![0-9A-Za-z])"
_END = r"(?![0-9])"
_SEP = r"[ \-]?"

_PROTECTED = {
    # C-20261122-0001 (also lower case, without dashes)
    "case_id": r"(?<![0-9A-Za-z])[Cc]-?\d{8}-?\d{3,5}(?![0-9])",
    # this shop's order numbers: 11 digits starting with 20, optionally after #
    "order_id": r"#?(?<![0-9])20\d{2} ?\d{4} ?\d{3}(?![0-9])",
    "amount": (r"(?:(?:NT|HK|US|MOP|RMB|CNY|USD|HKD|TWD|NTD)\s?\$?|[¥￥$€£])\s?\d[\d,]*(?:\.\d+)?"
               r"|(?<![0-9])\d[\d,]*(?:\.\d+)?\s?(?:元|块钱|块|塊錢|塊|圆|圓|蚊|美元|港币|港幣|台币|台幣|"
               r"(?i:rmb|cny|yuan|usd|dollars?|bucks|hkd|twd|ntd)(?![A-Za-z]))"),
    "date": (r"(?<![0-9])(?:19|20)\d{2}"
             r"(?:[\-/.年]\d{1,2}[\-/.月]\d{1,2}[日号號]?|(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))(?![0-9])"),
    "time": r"(?<![0-9])\d{1,2}:\d{2}(?::\d{2})?(?![0-9])",
    # hotlines (400-/800-) are the shop's public numbers, not anybody's personal data
    "service_number": r"(?<![0-9])[48]00[ \-]?\d{3}[ \-]?\d{4}(?![0-9])",
}

_SENSITIVE = {
    "email": r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}",
    # PRC resident id: region, birth date, sequence, check digit (X allowed)
    "prc_id": (_START + r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"
               r"(?![0-9A-Za-z])"),
    # Hong Kong identity card: A123456(7), AB1234567, A1234567
    "hk_id": _START + r"[A-Z]{1,2}\d{6}(?:\([0-9A]\)|[0-9A](?![0-9A-Za-z]))",
    # Taiwan national id: A123456789
    "tw_id": _START + r"[A-Z][12]\d{8}(?![0-9A-Za-z])",
    # bank cards written in groups (6222 0212 3456 7890, Amex 3782 822463 10005), before the
    # phones so a bare HK number does not take the first two groups
    "card_groups": _START + r"(?:\d{4}(?:[ \-]\d{4}){2,3}[ \-]\d{1,4}|\d{4}[ \-]\d{6}[ \-]\d{5})" + _END,
    # mainland mobile, optional +86 / 0086 / 86
    "cn_mobile": (_START + r"(?:(?:\+|00)?86[ \-]?|\(\+?86\)\s?)?1[3-9]\d" + _SEP + r"\d{4}" + _SEP + r"\d{4}" + _END),
    # Taiwan mobile: 0912-345-678, +886 912 345 678
    "tw_mobile": (_START + r"(?:(?:\+|00)?886[ \-]?9\d{2}|09\d{2})" + _SEP + r"\d{3}" + _SEP + r"\d{3}" + _END),
    # Hong Kong / Macau with country code (landlines too), or a bare HK mobile 5xxx/6xxx/9xxx…
    "hk_phone": (_START + r"(?:(?:\+|00)?85[23][ \-]?\d{4}" + _SEP + r"\d{4}|[4-9]\d{3}" + _SEP + r"\d{4})" + _END),
    # any other international number: +CC then 6–14 digits in groups
    "intl_phone": _START + r"(?:\+|00)[1-9]\d{0,2}(?:[ \-]?\(?\d{1,4}\)?){2,5}" + _END,
    # landlines with an area code: 010-12345678, (0755) 1234 5678, 02-2345-6789
    "landline": _START + r"(?:\(0\d{1,3}\)|0[1-9]\d{0,2})[ \-]?\d{3,4}[ \-]?\d{4}" + _END,
    # bank cards written without spaces: 13–19 digits
    "bank_card": _START + r"\d{13,19}" + _END,
}

_PATTERN = re.compile("|".join(f"(?P<{name}>{regex})" for name, regex in {**_PROTECTED, **_SENSITIVE}.items()))
_FULL_WIDTH_DIGITS = {code: code - 0xFEE0 for code in range(0xFF10, 0xFF1A)}


def _keep(text: str, first: int, last: int) -> str:
    """Stars for every digit or letter but the first and last few, separators left in place."""
    positions = [i for i, ch in enumerate(text) if ch.isalnum()]
    if len(positions) <= first + last:
        first, last = min(first, max(len(positions) - 2, 0)), min(last, 1)
    hidden = set(positions[first:len(positions) - last])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(text))


def _phone(text: str) -> str:
    """Country code kept, then the national number as 912***678: first 3, last 4 (3 or 2 if short)."""
    prefix = _COUNTRY_CODE.match(text)
    head, rest = (prefix.group(), text[prefix.end():]) if prefix else ("", text)
    digits = sum(ch.isdigit() for ch in rest)
    last = 4 if digits >= 11 else 3 if digits >= 9 else 2
    return head + _keep(rest, 3, last)


def _cn_mobile(text: str) -> str:
    """+86 / 0086 / 86 kept as written, the 11-digit number as 138****5678."""
    core = _CN_MOBILE_CORE.search(text)
    if core is None:
        return _phone(text)
    return text[:core.start()] + _keep(text[core.start():], 3, 4)


_CN_MOBILE_CORE = re.compile(r"1[3-9]\d[ \-]?\d{4}[ \-]?\d{4}$")
_COUNTRY_CODE = re.compile(r"^(?:\(\+?\d{1,3}\)\s?|(?:\+|00)\d{1,3}[ \-])")


def _email(text: str) -> str:
    local, domain = text.split("@", 1)
    shown = 1 if len(local) <= 3 else 2
    return f"{local[:shown]}***@{domain}"


_MASKERS = {
    "email": _email,
    "prc_id": lambda s: _keep(s, 4, 2),
    "hk_id": lambda s: _keep(s, 2, 0),
    "tw_id": lambda s: _keep(s, 2, 2),
    "cn_mobile": _cn_mobile,
    "tw_mobile": _phone,
    "hk_phone": _phone,
    "intl_phone": _phone,
    "landline": _phone,
    "card_groups": lambda s: _keep(s, 0, 4),
    "bank_card": lambda s: _keep(s, 0, 4),
}


def mask(text: str) -> str:
    """The text with phones, ID numbers, bank cards and e-mail addresses masked; order numbers,
    case ids, amounts and dates are left as they are. Masking twice changes nothing more."""
    if not text:
        return text
    text = text.translate(_FULL_WIDTH_DIGITS)

    def replace(match: re.Match[str]) -> str:
        kind = match.lastgroup
        if kind is None or kind in _PROTECTED:
            return match.group()
        if kind == "intl_phone" and sum(ch.isdigit() for ch in match.group()) < 8:
            return match.group()
        return _MASKERS[kind](match.group())

    return _PATTERN.sub(replace, text)


# Slots and entities whose whole value is personal, whatever it looks like: words of the name
# (phone_number, callback_phone…), so that "telegram_user" or "hotel" are not taken for "tel".
_PHONE_WORDS = frozenset({"phone", "mobile", "tel", "telephone", "cellphone", "contact", "callback", "手机", "电话"})
_EMAIL_WORDS = frozenset({"email", "mail", "e-mail"})
_CARD_WORDS = frozenset({"card", "bankcard", "iban"})
_ID_PARTS = ("id_number", "id_card", "idcard", "identity", "passport", "身份证", "身分證")


def mask_value(name: str, value: Any) -> Any:
    """A slot or entity value as an agent may see it: personal slots (phone, contact, id, card,
    e-mail) are masked even when their value does not look like a number we recognise; other
    texts get `mask`; containers are masked member by member; other values pass through."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, Mapping):
        return {str(k): mask_value(str(k) if _kind_of(str(k)) else name, v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [mask_value(name, v) for v in value]
    kind = _kind_of(name)
    if kind is None:
        if isinstance(value, str):
            return mask(value)
        if isinstance(value, int) and mask(str(value)) != str(value):
            return mask(str(value))
        return value
    text = str(value)
    if kind == "card":
        return _keep(text, 0, 4)
    masked = mask(text)
    if masked != text:
        return masked
    if kind == "email" and "@" in text:
        return _email(text)
    if kind == "phone":
        return _phone(text) if any(ch.isdigit() for ch in text) else text
    return _keep(text, 4 if len(text) > 10 else 1, 2 if len(text) > 6 else 1)


def _kind_of(name: str) -> str | None:
    lowered = name.lower()
    words = set(re.split(r"[_\s.]+", lowered))
    if words & _EMAIL_WORDS:
        return "email"
    if any(part in lowered for part in _ID_PARTS):
        return "id"
    if words & _CARD_WORDS:
        return "card"
    if words & _PHONE_WORDS:
        return "phone"
    return None
