"""Standard answers, complaint acknowledgement and fallback: texts from the knowledge file."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import knowledge, language_event, latest_intent, reply_language, say
from shop.dialogue import consecutive_fallbacks


class ActionAnswer(Action):
    """Answers the latest intent with its knowledge-file entry."""

    def name(self) -> str:
        return "action_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        language = reply_language(tracker)
        intent = latest_intent(tracker)
        say(dispatcher, intent if knowledge().has(intent) else "out_of_scope", language)
        return language_event(language)


class ActionAcknowledgeComplaint(Action):
    """Recognises the complaint's category and says honestly what happens next."""

    def name(self) -> str:
        return "action_acknowledge_complaint"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        language = reply_language(tracker)
        intent = latest_intent(tracker)
        if intent == "complain_general":
            say(dispatcher, "complain_general", language)
        else:
            category = knowledge().label("category", intent, language)
            say(dispatcher, "complaint_ack", language, category=category)
        return language_event(language)


class ActionFallback(Action):
    """First miss: ask to rephrase. From the second in a row on: point to a person."""

    def name(self) -> str:
        return "action_fallback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        language = reply_language(tracker)
        misses = consecutive_fallbacks(tracker.events)
        say(dispatcher, "fallback_first" if misses < 2 else "fallback_offer_human", language)
        return language_event(language)
