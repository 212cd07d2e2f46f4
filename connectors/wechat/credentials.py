"""The channel's section of credentials.yml, checked the same way by the Rasa channel and by
`python -m connectors.wechat check`, so a wrong key is found at start-up, not at the first
message WeChat cannot deliver."""

from __future__ import annotations

import re
from typing import Any, List, Mapping

SECTION = "connectors.wechat.WeChatInput"  # the credentials.yml key Rasa loads this class by
WEBHOOK_PATH = "/webhooks/wechat/webhook"
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9]{3,32}$")  # the admin console's rule for the Token
AES_KEY_PATTERN = re.compile(r"^[A-Za-z0-9]{43}$")  # EncodingAESKey: 43 characters, base64 without "="
REQUIRED = ("token", "appid", "secret")


def problems(section: Mapping[str, Any]) -> List[str]:
    """What is wrong with a WeChatInput section; empty when it can be used."""
    found = [f"{SECTION} needs `{name}` (docs/wechat.md)" for name in REQUIRED if not section.get(name)]
    token = section.get("token")
    if token and not TOKEN_PATTERN.match(str(token)):
        found.append(f"{SECTION}: token must be 3–32 letters or digits (the rule of the WeChat admin console)")
    key = section.get("encoding_aes_key")
    if key and not AES_KEY_PATTERN.match(str(key)):
        found.append(f"{SECTION}: encoding_aes_key must be 43 letters or digits (it has {len(str(key))})")
    return found


def webhook_url(public_base_url: str) -> str:
    """The URL to enter as 服务器地址(URL) in the admin console."""
    return public_base_url.rstrip("/") + WEBHOOK_PATH
