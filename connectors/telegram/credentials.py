"""The channel's section of credentials.yml and its webhook secret, read the same way by the
Rasa channel and by the command line that registers the webhook."""

from __future__ import annotations

import hmac
import re
from typing import Any, Dict, Mapping, Optional

SECTION = "connectors.telegram.TelegramInput"  # the credentials.yml key Rasa loads this class by
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what setWebhook accepts as secret_token


def secret_token_error(secret: str) -> Optional[str]:
    """Why Telegram's setWebhook would refuse `secret` as secret_token; None when it would not.

    The channel checks at start-up what the command line checks before registering, so a secret
    Telegram cannot send back is found before the first update is lost to a 403."""
    if SECRET_PATTERN.match(secret):
        return None
    return (f"{SECTION}: secret_token must be 1–256 characters of A–Z, a–z, 0–9, _ and - "
            "(Telegram's rule for setWebhook).")


def secret_matches(expected: str, given: Optional[str]) -> bool:
    """Constant-time comparison of the webhook's secret header; a missing header never matches."""
    if not expected or given is None:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def client_options(section: Mapping[str, Any]) -> Dict[str, Any]:
    """The Bot API client's arguments in a credentials section (`TelegramClient` and
    `TelegramInput` take them by these names); `access_token` must be there."""
    return {
        "access_token": str(section["access_token"]),
        "verify": section.get("verify"),
        "base_url": section.get("base_url"),
        "base_file_url": section.get("base_file_url"),
        "proxy": section.get("proxy"),
    }
