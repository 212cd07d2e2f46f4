"""Complaints and requests for a person: grade with the conversation's history, route (SPEC
section 4), and reply in a tone that fits the customer's emotion.

`action_route` decides and sets the `route` slot; rules then run the action for that route,
so the story tests show the routing table. A handoff opens a case on the desk and waits for a
person; the `handoff_request` slot keeps the routing decision the case was opened with.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import desk, knowledge, language_event, latest_entity, latest_intent, reply_language, say
from actions.guard import Overloaded
from actions.handoff import Ticket, open_case, queue_line
from handoff.store import CaseView
from shop import dialogue
from shop.routing import Decision, route
from shop.severity import Grade, with_history

log = logging.getLogger(__name__)

ROUTE_ACTIONS = {"handoff": "action_handoff", "register_case": "action_register_case",
                 "answer_with_empathy": "action_answer_with_empathy", "offer_human": "action_offer_human",
                 "callback": "action_callback", "answer": "action_answer"}


def message_grade(tracker: Tracker) -> Grade:
    severity = tracker.latest_message.get("severity") or {}
    return Grade(str(severity.get("level") or "none"), list(severity.get("reasons") or []))


def emotion_of(tracker: Tracker) -> tuple[Optional[str], float]:
    emotion = tracker.latest_message.get("emotion") or {}
    return emotion.get("name"), float(emotion.get("confidence") or 0.0)


def earlier_cases(tracker: Tracker) -> int:
    """The customer's cases from other conversations (SPEC section 3, history)."""
    try:
        return sum(1 for c in desk().earlier_cases(tracker.sender_id) if c.conversation_id != tracker.sender_id)
    except Exception:
        log.exception("case store unavailable; grading without earlier cases")
        return 0


def agents_available() -> bool:
    try:
        return desk().agents_available()
    except Exception:
        log.exception("queue unavailable; taking a callback request instead of a handoff")
        return False


def decide(tracker: Tracker) -> tuple[Grade, Decision]:
    """The latest message's grade raised by the conversation's and the customer's history, and the route."""
    events = list(tracker.events)
    history = replace(dialogue.history(events), earlier_cases=earlier_cases(tracker))
    graded = with_history(message_grade(tracker), history)
    emotion, confidence = emotion_of(tracker)
    intent = latest_intent(tracker)
    return graded, route(graded.level, emotion, intent, dialogue.consecutive_fallbacks(events),
                         agents_available=agents_available(), emotion_confidence=confidence)


def category_label(intent: str, language: str) -> str:
    key = intent if intent.startswith("complain_") else "complain_general"
    return knowledge().label("category", key, language)


class ActionRoute(Action):
    def name(self) -> str:
        return "action_route"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        language = reply_language(tracker)
        graded, decision = decide(tracker)
        emotion, confidence = emotion_of(tracker)
        record = {"level": graded.level, "reasons": graded.reasons, "action": decision.action,
                  "priority": decision.priority, "why": decision.reason, "intent": latest_intent(tracker),
                  "emotion": emotion, "emotion_confidence": confidence,
                  "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        events = [*language_event(language), SlotSet("severity", graded.level), SlotSet("route", decision.action),
                  SlotSet("routing", record)]
        if decision.action in ("handoff", "callback"):
            events.append(SlotSet("handoff_request", record))
        return events


class _Routed(Action, ABC):
    """Base for the action run after `action_route`; it reads the decision from the slots."""

    key = ""

    @abstractmethod
    def name(self) -> str:
        """Each routed action names itself, so the base is never registered."""

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        language = reply_language(tracker)
        record = tracker.get_slot("routing") or {}
        intent = str(record.get("intent") or latest_intent(tracker))
        fields: dict[str, Any] = {"category": category_label(intent, language),
                  "level": knowledge().label("severity", str(record.get("level") or "none"), language)}
        try:
            events = self.reply(dispatcher, tracker, language, intent, record, fields)
        except Overloaded:  # too many new cases shop-wide: no case, the hotline instead (actions.guard)
            say(dispatcher, "cases_overloaded", language, **fields)
            events = []
        return [*language_event(language), *events]

    def reply(self, dispatcher: CollectingDispatcher, tracker: Tracker, language: str, intent: str,
              record: dict[str, Any], fields: dict[str, Any]) -> list[dict[str, Any]]:
        say(dispatcher, self.key, language, **fields)
        return []


class ActionHandoff(_Routed):
    """Severe, upset-and-important, asked for, or not understood three times: a person."""

    def name(self) -> str:
        return "action_handoff"

    def reply(self, dispatcher: CollectingDispatcher, tracker: Tracker, language: str, intent: str,
              record: dict[str, Any], fields: dict[str, Any]) -> list[dict[str, Any]]:
        ticket = open_case(tracker, language, handoff=True)
        if not isinstance(ticket, Ticket):  # the desk is down: the hotline, honestly
            say(dispatcher, "handoff_unavailable", language, **fields)
            return []
        fields["case_id"] = ticket.case.id
        if intent == "request_human" and record.get("level") in (None, "none"):
            say(dispatcher, "handoff_requested", language, **fields)
        elif record.get("level") == "severe":
            say(dispatcher, "handoff_severe", language, **fields)
        else:
            say(dispatcher, "handoff_upset", language, **fields)
        events: list[dict[str, Any]] = [SlotSet("case_id", ticket.case.id)]
        if ticket.callback:
            return events  # nobody can answer now: the callback form asks for a number
        dispatcher.utter_message(text=queue_line(ticket, language))
        return [*events, ConversationPaused()]


class ActionRegisterCase(_Routed):
    """Important and calm: take the complaint down, ask for the order number, offer a person."""

    def name(self) -> str:
        return "action_register_case"

    def reply(self, dispatcher: CollectingDispatcher, tracker: Tracker, language: str, intent: str,
              record: dict[str, Any], fields: dict[str, Any]) -> list[dict[str, Any]]:
        order = latest_entity(tracker, "order_id")
        case = registered(tracker, language)
        fields["case_id"] = case.id if case else "-"
        say(dispatcher, "register_case" if case else "register_case_no_id", language, **fields)
        say(dispatcher, "register_case_order" if order else "register_case_ask_order", language, order_id=order or "")
        return [SlotSet("case_id", case.id)] if case else []


class ActionAnswerWithEmpathy(_Routed):
    key = "answer_with_empathy"

    def name(self) -> str:
        return "action_answer_with_empathy"

    def reply(self, dispatcher: CollectingDispatcher, tracker: Tracker, language: str, intent: str,
              record: dict[str, Any], fields: dict[str, Any]) -> list[dict[str, Any]]:
        if intent == "complain_general" and not record.get("reasons"):
            say(dispatcher, "complain_general", language, **fields)
            return []
        case = registered(tracker, language)
        fields["case_id"] = case.id if case else "-"
        say(dispatcher, self.key if case else "answer_with_empathy_no_id", language, **fields)
        return [SlotSet("case_id", case.id)] if case else []


class ActionOfferHuman(_Routed):
    key = "offer_human"

    def name(self) -> str:
        return "action_offer_human"


class ActionCallback(_Routed):
    """Nobody can answer now: the case waits in the queue and the callback form takes a number."""

    key = "callback"

    def name(self) -> str:
        return "action_callback"

    def reply(self, dispatcher: CollectingDispatcher, tracker: Tracker, language: str, intent: str,
              record: dict[str, Any], fields: dict[str, Any]) -> list[dict[str, Any]]:
        ticket = open_case(tracker, language, handoff=True)
        if not isinstance(ticket, Ticket):
            say(dispatcher, "handoff_unavailable", language, **fields)
            return []
        say(dispatcher, self.key, language, case_id=ticket.case.id, **fields)
        return [SlotSet("case_id", ticket.case.id)]


def registered(tracker: Tracker, language: str) -> Optional[CaseView]:
    case = open_case(tracker, language, handoff=False)
    return case if isinstance(case, CaseView) else None


def route_instead(tracker: Tracker) -> Optional[list[dict[str, Any]]]:
    """For a standard query that is in fact a complaint or carries a risk (the NLU graded it
    above `none`): go through the routing instead of answering the query."""
    if message_grade(tracker).level == "none":
        return None
    return [FollowupAction("action_route")]
