"""Text in and out of Telegram, without I/O: replies cut to Telegram's message size, and a
customer's commands turned into words for NLU."""

from __future__ import annotations

import unicodedata
from typing import List, Optional

TEXT_LIMIT = 4096  # Bot API: 1–4096 characters per message, counted in UTF-16 code units
SENTENCE_ENDS = "。！？；…"  # Chinese sentences; English ones end before a space, the next choice
CLOSERS = "”’」』）)】》\"'"
WEAK_BREAKS = "，、："


def utf16_len(text: str) -> int:
    """Telegram counts message length in UTF-16 code units: an emoji outside the BMP counts 2."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _prefix_end(text: str, limit: int) -> int:
    """The longest prefix (in code points) that fits in `limit` UTF-16 units."""
    units = 0
    for index, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def _joins_previous(ch: str) -> bool:
    """Characters that belong to the one before (accents, ZWJ sequences, skin tones, variation
    selectors): a hard cut must not separate them from it."""
    code = ord(ch)
    return (unicodedata.category(ch) in ("Mn", "Mc", "Me") or ch == "\u200d" or 0xFE00 <= code <= 0xFE0F
            or 0x1F3FB <= code <= 0x1F3FF or 0xE0020 <= code <= 0xE007F)


def _is_regional(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def best_cut(text: str, end: int) -> int:
    """Where to cut `text` within its first `end` code points: after a paragraph, else a line,
    else a sentence (Chinese has no spaces), else a space, else a comma, else as late as possible
    without splitting a character sequence. Boundaries in the first half are not worth a tiny
    message."""
    floor = end // 2
    paragraph = text.rfind("\n\n", 0, end)
    if paragraph >= 0 and paragraph + 2 > floor:
        return paragraph + 2
    line = text.rfind("\n", 0, end)
    if line >= 0 and line + 1 > floor:
        return line + 1
    for marks in (SENTENCE_ENDS, None, WEAK_BREAKS):
        if marks is None:
            found = max(text.rfind(" ", 0, end), text.rfind("\t", 0, end), text.rfind("\u3000", 0, end))
        else:
            found = max(text.rfind(mark, 0, end) for mark in marks)
        if found >= 0 and found + 1 > floor:
            cut = found + 1
            while cut < end and text[cut] in CLOSERS:  # keep a closing quote with its sentence
                cut += 1
            return cut
    cut = end
    while cut > floor and (_joins_previous(text[cut]) or text[cut - 1] == "\u200d"):
        cut -= 1
    if cut > floor and _is_regional(text[cut]) and _is_regional(text[cut - 1]):
        run = 0  # flags are pairs of regional indicators: cut between pairs
        while cut - 1 - run >= 0 and _is_regional(text[cut - 1 - run]):
            run += 1
        if run % 2:
            cut -= 1
    return cut if cut > floor else max(end, 1)  # a sequence longer than half a message: cut it


def split_text(text: str, limit: int = TEXT_LIMIT) -> List[str]:
    """Cuts a reply into Telegram-sized messages; joined again they are the text itself.

    Only a blank part (more than half a message of nothing but whitespace, which Telegram
    refuses to send) is merged into the part before or dropped.
    """
    if not text or not text.strip():
        return []
    parts: List[str] = []
    rest = text
    while utf16_len(rest) > limit:
        cut = best_cut(rest, _prefix_end(rest, limit))
        parts.append(rest[:cut])
        rest = rest[cut:]
    parts.append(rest)
    kept: List[str] = []
    for part in parts:
        if part.strip():
            kept.append(part)
        elif kept and utf16_len(kept[-1] + part) <= limit:
            kept[-1] += part
    return kept


def command_text(text: str, language_code: Optional[str] = None) -> str:
    """Telegram commands are not Rasa intents: a customer's "/start" (sent by the app when they
    open the chat) becomes a greeting, "/help@shop_bot" becomes "help". Only our own buttons may
    carry "/intent" payloads, so a customer cannot steer the dialogue past NLU."""
    stripped = text.strip()
    if not stripped.startswith("/"):
        return text
    head, _, tail = stripped.lstrip("/").partition(" ")
    command = head.split("@", 1)[0]
    if command.lower() == "start":
        return "hello" if (language_code or "").lower().startswith("en") else "你好"
    words = " ".join(w for w in (command, tail.strip()) if w)
    return words or text
