"""Standard answers and fallback: texts from the knowledge file, in a tone that fits the customer."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import acknowledge_feeling, knowledge, language_event, latest_intent, reply_language, say
from actions.routing import ROUTE_ACTIONS, route_instead
from shop.dialogue import consecutive_fallbacks
from shop.routing import route


class ActionAnswer(Action):
    """Answers the latest intent with its knowledge-file entry."""

    def name(self) -> str:
        return "action_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        rerouted = route_instead(tracker)
        if rerouted is not None:
            return rerouted
        language = reply_language(tracker)
        intent = latest_intent(tracker)
        calm = acknowledge_feeling(dispatcher, tracker, language)
        say(dispatcher, intent if knowledge().has(intent) else "out_of_scope", language, calm=calm)
        return language_event(language)


class ActionFallback(Action):
    """First miss: ask to rephrase; second in a row: offer a person; third: hand off."""

    def name(self) -> str:
        return "action_fallback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        language = reply_language(tracker)
        misses = consecutive_fallbacks(tracker.events)
        if misses >= 3:
            # SPEC section 4: the third miss in a row hands off.
            decision = route("none", None, "nlu_fallback", consecutive_fallbacks=misses)
            record = {"level": "none", "reasons": [f"history:{misses}_fallbacks"], "action": decision.action,
                      "priority": decision.priority, "why": decision.reason, "intent": "nlu_fallback"}
            return [*language_event(language), SlotSet("route", "handoff"), SlotSet("routing", record),
                    SlotSet("handoff_request", record), FollowupAction(ROUTE_ACTIONS["handoff"])]
        say(dispatcher, "fallback_first" if misses < 2 else "fallback_offer_human", language)
        return language_event(language)
