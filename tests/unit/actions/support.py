"""Requests as Rasa sends them to the action server, and what the NLU puts in a parse result."""

from __future__ import annotations

from typing import Any, Optional

from rasa_sdk.executor import ActionExecutor


def request(action: str, text: str, intent: str, entities: Optional[list[dict[str, Any]]] = None,
            slots: Optional[dict[str, Any]] = None, events: Optional[list[dict[str, Any]]] = None,
            sender: str = "t", **parse: Any) -> dict[str, Any]:
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": entities or [], **parse}
    return {
        "next_action": action,
        "sender_id": sender,
        "tracker": {"sender_id": sender, "slots": slots or {}, "latest_message": latest,
                    "events": (events or []) + [{"event": "user", "text": text, "parse_data": latest}],
                    "paused": False, "followup_action": None, "active_loop": {}, "latest_action_name": None},
        "domain": {},
        "version": "3.6.2",
    }


async def run(ex: ActionExecutor, *args: Any, **kwargs: Any) -> tuple[list[str], dict[str, Any]]:
    result = await ex.run(request(*args, **kwargs))
    assert result is not None
    texts = [r["text"] for r in result["responses"]]
    slots = {e["name"]: e["value"] for e in result["events"] if e["event"] == "slot"}
    if any(e["event"] == "pause" for e in result["events"]):
        slots["paused"] = True
    followup = [e["name"] for e in result["events"] if e["event"] == "followup"]
    if followup:
        slots["followup"] = followup[0]
    return texts, slots



def graded(level: str, reasons: list[str], emotion: str, confidence: float = 0.9) -> dict[str, Any]:
    """What the NLU puts in the parse result for a message."""
    return {"severity": {"level": level, "reasons": reasons}, "emotion": {"name": emotion, "confidence": confidence},
            "complaint": level != "none"}


def said(text: str, intent: str, **parse: Any) -> dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {"text": text, "intent": {"name": intent}, **parse}}


async def route_and_reply(executor: ActionExecutor, text: str, intent: str, parse: dict[str, Any],
                          events: Optional[list[dict[str, Any]]] = None,
                          sender: str = "t") -> tuple[list[str], dict[str, Any]]:
    """action_route, then the action the rules run for its decision, as Rasa would."""
    _, slots = await run(executor, "action_route", text, intent, events=events, sender=sender, **parse)
    follow = {"handoff": "action_handoff", "register_case": "action_register_case",
              "answer_with_empathy": "action_answer_with_empathy", "offer_human": "action_offer_human",
              "callback": "action_callback", "answer": "action_answer"}[slots["route"]]
    texts, more = await run(executor, follow, text, intent, events=events, slots=slots, sender=sender, **parse)
    return texts, {**slots, **more}

