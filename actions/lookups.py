"""Order, refund and case look-ups, including asking for a missing number and using the answer."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import acknowledge_feeling, knowledge, language_event, latest_entity, orders, reply_language, say
from actions.handoff import case_status_text
from actions.routing import route_instead
from core.vocabulary import normalise_case_id
from shop import replies
from shop.orders import normalise_order_id

PENDING = "pending_request"


def _order_id(tracker: Tracker) -> Optional[str]:
    raw = latest_entity(tracker, "order_id")
    return normalise_order_id(raw) if raw else None


def _case_id(tracker: Tracker) -> Optional[str]:
    raw = latest_entity(tracker, "case_id")
    return normalise_case_id(raw) if raw else None


def answer_order(dispatcher: CollectingDispatcher, order_id: str, language: str, refund: bool) -> None:
    order = orders().get(order_id)
    kb = knowledge()
    if order is None:
        say(dispatcher, "order_not_found", language, order_id=order_id)
    elif refund:
        dispatcher.utter_message(text=replies.refund_status(order, language, kb))
    else:
        dispatcher.utter_message(text=replies.order_status(order, language, kb))


def answer_case(dispatcher: CollectingDispatcher, case_id: str, language: str) -> None:
    dispatcher.utter_message(text=case_status_text(case_id, language))


class _Lookup(Action, ABC):
    """Answers with the number in the message, or asks for it and remembers what was asked."""

    request = ""

    @abstractmethod
    def name(self) -> str:
        """Each lookup names itself, so the base is never registered as an action."""

    def lookup(self, tracker: Tracker) -> Optional[str]:
        return _order_id(tracker)

    def answer(self, dispatcher: CollectingDispatcher, key: str, language: str) -> None:
        answer_order(dispatcher, key, language, refund=self.request == "refund_status")

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        rerouted = route_instead(tracker)
        if rerouted is not None:
            return rerouted
        language = reply_language(tracker)
        acknowledge_feeling(dispatcher, tracker, language)
        key = self.lookup(tracker)
        if key is None:
            say(dispatcher, "ask_case_id" if self.request == "complaint_status" else "ask_order_id", language)
            return [*language_event(language), SlotSet(PENDING, self.request)]
        self.answer(dispatcher, key, language)
        return [*language_event(language), SlotSet(PENDING, None)]


class ActionOrderStatus(_Lookup):
    request = "order_status"

    def name(self) -> str:
        return "action_order_status"


class ActionRefundStatus(_Lookup):
    request = "refund_status"

    def name(self) -> str:
        return "action_refund_status"


class ActionComplaintStatus(_Lookup):
    request = "complaint_status"

    def name(self) -> str:
        return "action_complaint_status"

    def lookup(self, tracker: Tracker) -> Optional[str]:
        return _case_id(tracker)

    def answer(self, dispatcher: CollectingDispatcher, key: str, language: str) -> None:
        answer_case(dispatcher, key, language)


class ActionHandleInform(Action):
    """The customer sent a number: use it for what the bot asked for, or guess from its kind."""

    def name(self) -> str:
        return "action_handle_inform"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        language = reply_language(tracker)
        pending = tracker.get_slot(PENDING)
        order_id, case_id = _order_id(tracker), _case_id(tracker)
        if case_id and pending in (None, "complaint_status"):
            answer_case(dispatcher, case_id, language)
        elif order_id and pending in (None, "order_status", "refund_status"):
            answer_order(dispatcher, order_id, language, refund=pending == "refund_status")
        elif pending == "complaint_status":
            say(dispatcher, "ask_case_id", language)
            return language_event(language)
        elif pending in ("order_status", "refund_status"):
            say(dispatcher, "ask_order_id", language)
            return language_event(language)
        else:
            say(dispatcher, "inform_unused", language)
            return language_event(language)
        return [*language_event(language), SlotSet(PENDING, None)]
