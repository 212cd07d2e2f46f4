"""What every action shares: the services it calls and the reply language."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from core.language import DEFAULT_LANGUAGE, detect
from core.limits import RateLimiter
from core.settings import load
from core.vocabulary import NEGATIVE_EMOTIONS, UPSET_CONFIDENCE
from handoff.desk import Desk
from handoff.texts import HandoffTexts, HandoffTextsFile
from shop.knowledge import Knowledge, KnowledgeFile
from shop.orders import OrderRepository, SqlOrderRepository


@lru_cache(maxsize=1)
def knowledge_file() -> KnowledgeFile:
    return KnowledgeFile(load().knowledge_file)


def knowledge() -> Knowledge:
    return knowledge_file().get()


_desk: Optional[Desk] = None


def desk() -> Desk:
    """Cases and the queue, shared with the handoff service (same database, same Redis)."""
    global _desk
    if _desk is None:
        _desk = Desk.from_settings(load())
    return _desk


def use_desk(instance: Optional[Desk]) -> None:
    """Tests and embedders hand in their own desk (another database, another Redis)."""
    global _desk
    _desk = instance


_limiter: Optional[RateLimiter] = None


def limiter() -> RateLimiter:
    """The shop-wide counters in Redis (core.limits); the action server counts new cases there."""
    global _limiter
    if _limiter is None:
        _limiter = RateLimiter.from_settings(load())
    return _limiter


def use_limiter(instance: Optional[RateLimiter]) -> None:
    """Tests hand in a limiter on their own Redis, with their own rules."""
    global _limiter
    _limiter = instance


@lru_cache(maxsize=1)
def _texts_file() -> HandoffTextsFile:
    return HandoffTextsFile()


def handoff_texts() -> HandoffTexts:
    return _texts_file().get()


@lru_cache(maxsize=1)
def orders() -> OrderRepository:
    return SqlOrderRepository(load().database_url)


def reply_language(tracker: Tracker) -> str:
    """The language of the latest message; messages without words keep the conversation's."""
    previous: Optional[str] = tracker.get_slot("language")
    text = tracker.latest_message.get("text") or ""
    return detect(text, previous) or previous or DEFAULT_LANGUAGE


def latest_intent(tracker: Tracker) -> str:
    return str((tracker.latest_message.get("intent") or {}).get("name") or "")


def latest_entity(tracker: Tracker, name: str) -> Optional[str]:
    value = next(tracker.get_latest_entity_values(name), None)
    return str(value) if value is not None else None


def say(dispatcher: CollectingDispatcher, key: str, language: str, calm: bool = False, **fields: Any) -> None:
    dispatcher.utter_message(text=knowledge().text(key, language, calm=calm, **fields))


def negative_emotion(tracker: Tracker) -> Optional[str]:
    """anger, anxiety or sadness when the customer shows it clearly, else None."""
    emotion = tracker.latest_message.get("emotion") or {}
    name = emotion.get("name")
    if name in NEGATIVE_EMOTIONS and float(emotion.get("confidence") or 0.0) >= UPSET_CONFIDENCE:
        return str(name)
    return None


def acknowledge_feeling(dispatcher: CollectingDispatcher, tracker: Tracker, language: str) -> bool:
    """Before a standard answer to an upset customer: one line that meets their feeling.
    Returns whether the answer that follows should be calm (no exclamation, no emoji)."""
    emotion = negative_emotion(tracker)
    if emotion is None:
        return False
    say(dispatcher, f"empathy_{emotion}", language)
    return True


def language_event(language: str) -> list[dict[str, Any]]:
    return [SlotSet("language", language)]
