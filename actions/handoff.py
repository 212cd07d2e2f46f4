"""Cases and the way to a person: the handoff itself, the callback request when nobody can
answer, the rating when the agent hands the customer back, and "where is my case".

The actions are thin: the desk (handoff.desk) does the work over the case store and the queue.
If the desk cannot be reached the customer still gets an honest answer with the hotline.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Optional

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import desk, handoff_texts, language_event, latest_intent, reply_language
from actions.guard import Overloaded, admit_new_case, owned_case
from core.vocabulary import case_category
from handoff.desk import Conflict, PackageBuilder, Ticket
from handoff.package import build_package
from handoff.store import CaseNotFound, CaseView

log = logging.getLogger(__name__)

RATING_WORDS = {5: ("非常满意", "非常滿意", "很满意", "很滿意", "五星", "5星", "excellent", "very satisfied",
                    "perfect"),
                4: ("满意", "滿意", "四星", "4星", "good", "satisfied"),
                3: ("一般", "还行", "還行", "三星", "3星", "okay", "ok", "average"),
                2: ("不满意", "不滿意", "两星", "兩星", "2星", "bad", "unsatisfied", "dissatisfied"),
                1: ("很差", "非常不满意", "非常不滿意", "太差", "一星", "1星", "terrible", "awful", "very bad")}
SKIP = ("跳过", "跳過", "不用", "没有", "沒有", "不评", "不評", "算了", "skip", "no", "none", "no thanks", "pass")
PHONE = re.compile(r"\+?\d[\d\s-]{6,18}\d")


def parse_rating(text: str) -> Optional[int]:
    """1–5 from "5", "5分", "４", "五星", "very satisfied"; None when it is not a rating."""
    cleaned = text.strip().lower().translate(str.maketrans("１２３４５", "12345"))
    digits = re.findall(r"(?<!\d)[1-5](?!\d)", cleaned)
    if len(digits) == 1 and len(cleaned) <= 12:
        return int(digits[0])
    for score in (1, 2, 5, 4, 3):  # the longer, more negative phrases first ("非常不满意" before "满意")
        if any(word in cleaned for word in RATING_WORDS[score]):
            return score
    return None


def wait_text(seconds: Optional[int], language: str) -> str:
    minutes = max(1, round((seconds or 0) / 60))
    if language == "en":
        return f"about {minutes} minute{'s' if minutes != 1 else ''}"
    return f"约 {minutes} 分钟" if language == "zh-Hans" else f"約 {minutes} 分鐘"


def case_fields(tracker: Tracker, language: str) -> dict[str, Any]:
    """What the case needs from the conversation and the routing decision."""
    record = tracker.get_slot("routing") or {}
    intent = str(record.get("intent") or latest_intent(tracker))
    category = case_category(intent)
    channel = (tracker.get_latest_input_channel() or "rest")
    return {"conversation_id": tracker.sender_id, "channel": channel, "customer_id": tracker.sender_id,
            "language": language, "category": category, "severity": str(record.get("level") or "none"),
            "emotion": record.get("emotion"), "reasons": list(record.get("reasons") or [])}


def package_builder(tracker: Tracker, language: str) -> PackageBuilder:
    """The handoff package of SPEC section 5, for the agent's pickup: the desk builds it from the
    case as it is about to be written (its id, its deadlines) and writes both at once."""

    def build(case: CaseView, earlier: list[CaseView]) -> dict[str, Any]:
        return build_package(list(tracker.events), conversation_id=tracker.sender_id, channel=case.channel,
                             language=language, case=case.to_dict(), slots=dict(tracker.slots),
                             earlier_cases=[c.to_dict() for c in earlier],
                             sla={"first_response_due": case.first_response_due.isoformat(),
                                  "resolution_due": case.resolution_due.isoformat()},
                             texts=handoff_texts())

    return build


def open_case(tracker: Tracker, language: str, handoff: bool) -> Optional[Ticket | CaseView]:
    """The case for this conversation (created or raised), or None when the desk is down.
    Raises Overloaded when it would be a new case over the shop-wide limit (actions.guard)."""
    try:
        admit_new_case(tracker)
    except Overloaded:
        raise
    except Exception:
        log.exception("case desk unavailable for conversation %s", tracker.sender_id)
        return None
    try:
        fields = case_fields(tracker, language)
        package = package_builder(tracker, language)
        if handoff:
            return desk().hand_off(package=package, **fields)
        return desk().register(package=package, **fields)
    except Exception:  # the customer must get an answer even when Redis or the database is down
        log.exception("case desk unavailable for conversation %s", tracker.sender_id)
        return None


def queue_line(ticket: Ticket, language: str) -> str:
    texts = handoff_texts()
    if ticket.position is None or ticket.wait_seconds is None:
        return texts.line("handoff_wait_unknown", language, case_id=ticket.case.id)
    return texts.line("handoff_queued", language, case_id=ticket.case.id, position=max(ticket.position - 1, 0),
                      wait=wait_text(ticket.wait_seconds, language))


class ActionCallbackAskContact(Action):
    """The form's question for the callback contact, in the conversation's language."""

    def name(self) -> str:
        return "action_ask_callback_contact"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        language = reply_language(tracker)
        dispatcher.utter_message(text=handoff_texts().line("callback_ask_contact", language))
        return []


class ValidateCallbackForm(FormValidationAction):
    def name(self) -> str:
        return "validate_callback_form"

    def validate_callback_contact(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> dict[str, Any]:
        text = str(value or "")
        if PHONE.search(text):
            return {"callback_contact": text.strip()[:200]}
        dispatcher.utter_message(text=handoff_texts().line("callback_contact_invalid", reply_language(tracker)))
        return {"callback_contact": None}


class ActionStoreCallback(Action):
    def name(self) -> str:
        return "action_store_callback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        language = reply_language(tracker)
        contact = str(tracker.get_slot("callback_contact") or "")
        case_id = tracker.get_slot("case_id")
        phone_match = PHONE.search(contact)
        phone = phone_match.group(0) if phone_match else contact
        try:
            case = owned_case(tracker, self.name())
            if case is not None:
                desk().record_callback(case.id, contact)
        except Exception:
            log.exception("could not record the callback for %s", tracker.sender_id)
        dispatcher.utter_message(text=handoff_texts().line("callback_recorded", language, case_id=case_id or "-",
                                                           phone=phone))
        return [*language_event(language), SlotSet("callback_contact", None)]


class ActionAskRating(Action):
    """Asked when the agent resolved the case and the bot took the conversation back."""

    def name(self) -> str:
        return "action_ask_rating"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        language = tracker.get_slot("language") or reply_language(tracker)
        texts = handoff_texts()
        case_id = tracker.get_slot("case_id") or "-"
        buttons = [{"title": str(n), "payload": str(n)} for n in range(5, 0, -1)]
        dispatcher.utter_message(text=texts.line("case_resolved_ask_rating", language, case_id=case_id),
                                 buttons=buttons)
        return []


class ActionAskRatingComment(Action):
    def name(self) -> str:
        return "action_ask_rating_comment"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        language = tracker.get_slot("language") or reply_language(tracker)
        dispatcher.utter_message(text=handoff_texts().line("ask_rating_comment", language),
                                 buttons=[{"title": "跳过" if language != "en" else "skip",
                                           "payload": "跳过" if language != "en" else "skip"}])
        return []


class ValidateRatingForm(FormValidationAction):
    def name(self) -> str:
        return "validate_rating_form"

    def validate_rating(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                        domain: DomainDict) -> dict[str, Any]:
        text = str(value or "").strip()
        score = parse_rating(text)
        if score is not None:
            store_score(tracker, score)  # now: a customer who leaves without a comment is counted too
            return {"rating": score}
        if text.lower() in SKIP:
            return {"rating": 0, "rating_comment": "-"}  # declined: no comment asked either
        dispatcher.utter_message(text=handoff_texts().line("rating_invalid", tracker.get_slot("language") or "zh-Hans"))
        return {"rating": None}

    def validate_rating_comment(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> dict[str, Any]:
        text = str(value or "").strip()
        return {"rating_comment": "-" if not text or text.lower() in SKIP else text[:2000]}


def store_score(tracker: Tracker, score: int) -> None:
    """The score, the moment it is given, on this conversation's resolved case (the desk refuses
    a case that is not resolved or was rated already: Conflict, logged, nothing changed)."""
    try:
        case = owned_case(tracker, "validate_rating_form")
        if case is not None:
            desk().rate(case.id, score)
    except Conflict as refused:
        log.warning("rating %s not stored: %s", score, refused)
    except Exception:
        log.exception("could not store the rating of %s", tracker.get_slot("case_id"))


class ActionStoreRating(Action):
    """The end of the rating form: the comment joins the score stored when it was given (or the
    score is stored now, had that failed); a skipped rating closes the case all the same."""

    def name(self) -> str:
        return "action_store_rating"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        language = tracker.get_slot("language") or reply_language(tracker)
        score = int(tracker.get_slot("rating") or 0)
        comment = tracker.get_slot("rating_comment")
        comment = None if comment in (None, "-") else str(comment)
        try:
            case = owned_case(tracker, self.name())
            if case is not None and score:
                if desk().store.rating(case.id) is None:
                    desk().rate(case.id, score, comment)
                elif comment:
                    desk().add_rating_comment(case.id, comment)
            elif case is not None:
                desk().decline_rating(case.id)
        except Conflict as refused:
            log.warning("rating of %s not stored: %s", tracker.get_slot("case_id"), refused)
        except Exception:
            log.exception("could not store the rating of %s", tracker.get_slot("case_id"))
        dispatcher.utter_message(text=handoff_texts().line("rating_thanks", language))
        return [SlotSet("rating", None), SlotSet("rating_comment", None)]


def case_status_text(case_id: str, language: str) -> str:
    texts = handoff_texts()
    try:
        case = desk().case(case_id)
    except CaseNotFound:
        return texts.line("case_not_found", language, case_id=case_id)
    except Exception:
        log.exception("case store unavailable")
        return texts.line("case_not_found", language, case_id=case_id)
    updated = case.updated_at.astimezone().strftime("%Y-%m-%d %H:%M")
    return texts.line("case_status", language, case_id=case.id, state=texts.state_label(case.state, language),
                      updated=updated)
