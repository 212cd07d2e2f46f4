"""The handoff package: everything an agent sees when they pick a case up (SPEC section 5), so
they never have to ask the customer again.

A pure function of the tracker's events (plain dicts as in Rasa's tracker JSON) and what the
case store knows, so it is built the same way in the action server, the agent API and tests.
Everything personal is masked here, once, before it can reach a page, a log or a queue.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Iterable, Mapping, Optional, Sequence

from core.vocabulary import SEVERITIES
from handoff.masking import mask, mask_value
from handoff.summary import summarize
from handoff.texts import HandoffTexts, language_code, summary_language

__all__ = ["MAX_TRANSCRIPT", "HandoffTexts", "build_package"]

MAX_TRANSCRIPT = 200
# Slots the bot keeps for itself; the package shows their content elsewhere (severity, routing)
# or they mean nothing to an agent.
INTERNAL_SLOTS = frozenset({"routing", "handoff_request", "requested_slot", "session_started_metadata", "route",
                            "pending_request", "language", "severity"})


def build_package(events: Sequence[Mapping[str, Any]], *, conversation_id: str, channel: str, language: str,
                  case: Optional[Mapping[str, Any]], slots: Mapping[str, Any],
                  earlier_cases: Sequence[Mapping[str, Any]], sla: Mapping[str, Any], texts: HandoffTexts,
                  max_messages: int = MAX_TRANSCRIPT) -> dict[str, Any]:
    """The JSON-ready package. `language` is the customer's (zh-Hans, zh-Hant or en): replies are
    offered in it, the summary is in zh or en. Events of every session of the conversation count."""
    events = [e for e in events if isinstance(e, Mapping)]
    customer = [e for e in events if e.get("event") == "user"]
    messages = [m for m in (_message(e) for e in events) if m is not None]
    dropped = max(len(messages) - max_messages, 0)

    entities = _entities(customer)
    all_slots = {**_slot_events(events), **dict(slots or {})}
    shown_slots = {name: mask_value(name, value) for name, value in all_slots.items()
                   if name not in INTERNAL_SLOTS and not _empty(value)}
    severity = _severity(case, all_slots.get("handoff_request"), events)
    category = _category(case, all_slots.get("handoff_request"), customer)
    trajectory = [{"at": _iso(e.get("timestamp")), "emotion": _emotion(e)[0], "confidence": _emotion(e)[1]}
                  for e in customer if _emotion(e)[0]][-max_messages:]
    case_id = str(case.get("id") or case.get("case_id") or "") if case else ""
    earlier = [_case_row(c) for c in earlier_cases if isinstance(c, Mapping)]
    earlier = [c for c in earlier if not case_id or c["id"] != case_id]

    complaints = [str(_text(e)) for e in customer if _is_complaint(e)]
    summary = summarize(summary_language(language), category=category, severity=severity["level"],
                        reasons=severity["reasons"], emotion_trajectory=[_emotion(e)[0] for e in customer],
                        customer_turns=complaints or [str(_text(e)) for e in customer], entities=entities,
                        earlier_cases=len(earlier), texts=texts)
    fields = {"order_id": entities.get("order_id") or shown_slots.get("order_id"), "case_id": case_id or None,
              "amount": entities.get("amount") or shown_slots.get("amount")}
    code = language_code(language)
    return _jsonable({
        "customer": {"id": conversation_id, "channel": channel or _latest_channel(customer), "language": code},
        "case": _case_row(case) if case else None,
        "transcript": messages[dropped:],
        "transcript_truncated": dropped,
        "emotion_trajectory": trajectory,
        "entities": entities,
        "slots": shown_slots,
        "severity": severity,
        "category": category,
        "summary": summary,
        "earlier_cases": earlier,
        "suggested_replies": texts.suggested(category, code, **fields),
        "canned_replies": texts.canned(category, code, **fields),
        "sla": dict(sla or {}),
    })


def _message(event: Mapping[str, Any]) -> Optional[dict[str, Any]]:
    """One line of the transcript, or None for events that are not messages."""
    kind = event.get("event")
    if kind == "user":
        parse = _parse(event)
        intent = _mapping(parse.get("intent"))
        name, confidence = _emotion(event)
        return {"role": "customer", "text": mask(str(_text(event))), "at": _iso(event.get("timestamp")),
                "intent": intent.get("name"), "intent_confidence": _number(intent.get("confidence")),
                "emotion": name, "emotion_confidence": confidence}
    if kind == "bot":
        text = _text(event)
        if not text:
            return None
        agent = _agent(event)
        line = {"role": "agent" if agent is not None else "bot", "text": mask(str(text)),
                "at": _iso(event.get("timestamp")), "intent": None, "intent_confidence": None, "emotion": None,
                "emotion_confidence": None}
        if agent is not None:
            line["agent"] = agent
        return line
    return None


def _agent(event: Mapping[str, Any]) -> Optional[str]:
    """Who sent a bot event on an agent's behalf ("" when marked without a name), else None.
    The agent API marks the message in the event's metadata or in its custom payload."""
    metadata, custom = _mapping(event.get("metadata")), _mapping(_mapping(event.get("data")).get("custom"))
    for mark in (metadata.get("handoff_agent"), custom.get("agent")):
        if mark in (None, False, ""):
            continue
        if isinstance(mark, Mapping):
            return str(mark.get("name") or mark.get("id") or "")
        return "" if mark is True else str(mark)
    return None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _parse(event: Mapping[str, Any]) -> Mapping[str, Any]:
    return _mapping(event.get("parse_data"))


def _text(event: Mapping[str, Any]) -> str:
    text = event.get("text")
    if text is None:
        text = _parse(event).get("text")
    return "" if text is None else str(text)


def _emotion(event: Mapping[str, Any]) -> tuple[Optional[str], Optional[float]]:
    emotion = _parse(event).get("emotion")
    if not isinstance(emotion, Mapping) or not emotion.get("name"):
        return None, None
    return str(emotion["name"]), _number(emotion.get("confidence"))


def _is_complaint(event: Mapping[str, Any]) -> bool:
    parse = _parse(event)
    intent = _mapping(parse.get("intent"))
    return parse.get("complaint") is True or str(intent.get("name") or "").startswith("complain_")


def _entities(customer: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Each entity's latest value across the customer's messages, masked."""
    found: dict[str, Any] = {}
    for event in customer:
        for entity in _parse(event).get("entities") or []:
            if isinstance(entity, Mapping) and entity.get("entity") and entity.get("value") not in (None, ""):
                name = str(entity["entity"])
                found.pop(name, None)  # keep the order of last mention
                found[name] = mask_value(name, entity["value"])
    return found


def _slot_events(events: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    slots: dict[str, Any] = {}
    for event in events:
        if event.get("event") == "slot" and event.get("name"):
            slots[str(event["name"])] = event.get("value")
    return slots


def _severity(case: Optional[Mapping[str, Any]], handoff_request: Any,
              events: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The case's grade; without a case, the grade the bot handed off with (it includes the
    conversation's history); else the most severe graded message of the latest session that has
    any (the latest on a tie), since a closing "ok" must not hide the complaint before it."""
    if case:
        graded = _grade(case.get("severity"), case.get("reasons") or case.get("severity_reasons"))
        if graded:
            return graded
    if isinstance(handoff_request, Mapping):
        graded = _grade(handoff_request.get("level"), handoff_request.get("reasons"))
        if graded:
            return graded
    sessions: list[list[dict[str, Any]]] = [[]]
    for event in events:
        if event.get("event") == "session_started":
            sessions.append([])
        elif event.get("event") == "user":
            graded = _grade(_parse(event).get("severity"), None)
            if graded:
                sessions[-1].append(graded)
    for session in reversed(sessions):
        if session:
            return max(reversed(session), key=lambda g: SEVERITIES.index(g["level"]))
    return {"level": "none", "reasons": []}


def _grade(severity: Any, reasons: Any) -> Optional[dict[str, Any]]:
    """{"level", "reasons"} from a level string or a {"level", "reasons"} dict; None if unknown."""
    if isinstance(severity, Mapping):
        severity, reasons = severity.get("level"), severity.get("reasons") if reasons is None else reasons
    if severity not in SEVERITIES:
        return None
    listed = [str(r) for r in reasons] if isinstance(reasons, list | tuple) else []
    return {"level": str(severity), "reasons": listed}


def _category(case: Optional[Mapping[str, Any]], handoff_request: Any,
              customer: Sequence[Mapping[str, Any]]) -> str:
    """The complaint category the replies are for: the case's, the handoff's, the latest
    complaint's; a plain request for a person otherwise."""
    candidates: list[Any] = []
    if case:
        candidates.append(case.get("category"))
    if isinstance(handoff_request, Mapping):
        candidates.append(handoff_request.get("intent"))
    for event in reversed(customer):
        intent = _parse(event).get("intent")
        if isinstance(intent, Mapping):
            candidates.append(intent.get("name"))
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.startswith("complain_"):
            return candidate
    return "request_human"


def _case_row(case: Mapping[str, Any]) -> dict[str, Any]:
    severity = case.get("severity")
    if isinstance(severity, Mapping):
        severity = severity.get("level")
    return {"id": case.get("id") or case.get("case_id"), "category": case.get("category"), "severity": severity,
            "state": case.get("state"), "created_at": _iso(case.get("created_at"))}


def _latest_channel(customer: Sequence[Mapping[str, Any]]) -> Optional[str]:
    for event in reversed(customer):
        if event.get("input_channel"):
            return str(event["input_channel"])
    return None


def _iso(value: Any) -> Optional[str]:
    """Rasa's epoch seconds, a datetime or an ISO string, as ISO 8601 in UTC when known."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(float(value), timezone.utc).isoformat(timespec="seconds")
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return _iso(datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
        except ValueError:
            return None
    return None


def _number(value: Any) -> Optional[float]:
    try:
        return round(float(value), 4) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def _empty(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, list | dict | tuple | set) and not value)


def _jsonable(value: Any) -> Any:
    """Dates as ISO text, containers as lists and dicts, anything else unknown as text."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, datetime | date):
        return _iso(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return str(value)
