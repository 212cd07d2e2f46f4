"""Text in and out of WeChat, without I/O: replies cut to WeChat's size, Rasa's buttons as
numbered choices, and a customer's "2" turned back into the second button's payload.

WeChat documents 2048 bytes of UTF-8 per customer-service text message (客服消息); a passive reply
is allowed more, but the same limit is used for both so one answer is cut the same way whichever
route it takes. A Chinese character is 3 bytes: about 680 characters per message.
"""

from __future__ import annotations

import unicodedata
from typing import Any, Dict, Iterable, List, Optional, Tuple

from connectors.telegram.text import best_cut  # the same places to cut: paragraph, line, sentence, …

TEXT_LIMIT = 2048  # bytes of UTF-8 per text message
MAX_CHOICES = 20


def _prefix_end(text: str, limit: int) -> int:
    """The longest prefix (in code points) whose UTF-8 encoding fits in `limit` bytes."""
    size = 0
    for index, ch in enumerate(text):
        size += len(ch.encode("utf-8"))
        if size > limit:
            return index
    return len(text)


def split_text(text: str, limit: int = TEXT_LIMIT) -> List[str]:
    """Cuts a reply into WeChat-sized messages; joined again they are the text itself, except
    that blank parts (WeChat refuses empty content) are left out."""
    if not text or not text.strip():
        return []
    parts: List[str] = []
    rest = text
    while len(rest.encode("utf-8")) > limit:
        cut = best_cut(rest, _prefix_end(rest, limit))
        parts.append(rest[:cut])
        rest = rest[cut:]
    parts.append(rest)
    return [part for part in parts if part.strip()]


def choices(buttons: Iterable[Dict[str, Any]]) -> List[Tuple[str, str]]:
    """(title, payload) of Rasa buttons WeChat can show: a link button becomes its title and URL
    (WeChat turns the URL into a link); at most MAX_CHOICES, numbered from 1."""
    found: List[Tuple[str, str]] = []
    for button in buttons:
        title = str(button.get("title") or button.get("payload") or "").strip()
        if not title:
            continue
        url = button.get("url")
        if url:
            found.append((f"{title} {url}", ""))
        else:
            found.append((title, str(button.get("payload") or title)))
    return found[:MAX_CHOICES]


def numbered(options: List[Tuple[str, str]]) -> bool:
    """Whether the choices get numbers: not when a title is itself a number (a 5…1 rating), where
    "1. 5" would make the customer's "5" ambiguous; then the customer types the title."""
    return not any(unicodedata.normalize("NFKC", title).strip().isdigit() for title, _ in options)


def with_choices(text: str, options: List[Tuple[str, str]]) -> str:
    """The message with its choices under it, "1. 满意" one per line (or "5 / 4 / 3" when the
    titles are numbers), and a hint saying how to pick."""
    if not options:
        return text
    if numbered(options):
        lines = [f"{index}. {title}" for index, (title, _) in enumerate(options, start=1)]
        hint = "（回复数字选择 / reply with a number）"
    else:
        lines = [" / ".join(title for title, _ in options)]
        hint = "（直接回复选项 / reply with your choice）"
    if not any(payload for _, payload in options):
        hint = ""
    return "\n".join(([text.rstrip()] if text.strip() else []) + lines + ([hint] if hint else []))


def _plain(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().rstrip(".。").strip().casefold()


def picked(text: str, options: List[Tuple[str, str]]) -> Optional[str]:
    """The payload a customer's reply picks: a choice's title as typed, or its number ("2", "２",
    " 2.") when the choices are numbered; anything else (or a link's number) is None and goes to
    NLU as typed."""
    typed = _plain(text)
    for title, payload in options:
        if payload and typed == _plain(title):
            return payload
    if not numbered(options) or not typed.isdigit() or len(typed) > 3:
        return None
    index = int(typed) - 1
    if 0 <= index < len(options) and options[index][1]:
        return options[index][1]
    return None
