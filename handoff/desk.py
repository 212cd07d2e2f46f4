"""The service desk: what the bot and the agents do with cases, over the case store (the truth)
and the Redis queue (the fast index). The action server and the handoff service both use it,
so a case created by the bot is claimable the moment the action returns.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, time, timezone
from typing import Any, Optional
from zoneinfo import ZoneInfo

import redis

from handoff.clock import Clock, SystemClock
from handoff.masking import mask
from handoff.queue import CaseQueue, QueueEntry, estimate_wait
from core.vocabulary import SEVERITIES, priority
from handoff.sla import SlaPolicy
from handoff.store import CaseStore, CaseView, ClaimConflict

HUMAN_PHASE = ("queued", "claimed", "callback", "returned")
TEAM_BY_CATEGORY = {"complain_billing": "billing", "complain_refund": "billing",
                    "complain_privacy_security": "security"}


class Forbidden(PermissionError):
    """The agent may not do this to this case (not theirs, or not a supervisor)."""


class Conflict(RuntimeError):
    """The case is not in a state that allows this (already resolved, not claimed, …)."""


def queue_language(language: str) -> str:
    """Agents read Chinese or English; both Chinese scripts go to the same agents."""
    return "en" if language == "en" else "zh"


def team_for(category: str) -> str:
    """Teams come from HANDOFF_TEAMS ("complain_refund=billing,…"); without it every case goes to
    `general`, so a shop with one team needs no configuration."""
    spec = os.environ.get("HANDOFF_TEAMS", "")
    if not spec:
        return "general"
    mapping = dict(part.split("=", 1) for part in spec.split(",") if "=" in part)
    return mapping.get(category, "general")


@dataclass(frozen=True)
class Hours:
    """When people answer. Outside these hours a handoff becomes a callback request."""

    start: time = time(0, 0)
    end: Optional[time] = None  # None: round the clock
    zone: str = "Asia/Shanghai"

    @classmethod
    def from_env(cls) -> "Hours":
        spec = os.environ.get("HANDOFF_HOURS", "").strip()
        zone = os.environ.get("HANDOFF_TZ", "Asia/Shanghai")
        if not spec or spec in ("24h", "00:00-24:00"):
            return cls(zone=zone)
        try:
            start, end = (time.fromisoformat(part.strip()) for part in spec.split("-", 1))
        except ValueError as exc:
            raise ValueError(f"HANDOFF_HOURS must look like 09:00-21:00, not {spec!r}") from exc
        return cls(start, end, zone)

    def open_at(self, moment: datetime) -> bool:
        if self.end is None:
            return True
        local = moment.astimezone(ZoneInfo(self.zone)).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


@dataclass(frozen=True)
class Ticket:
    """What the customer is told after a handoff: the case, the place in the queue, the wait."""

    case: CaseView
    position: Optional[int]
    wait_seconds: Optional[int]
    agents_online: int
    callback: bool


class Desk:
    def __init__(self, store: CaseStore, queue: CaseQueue, clock: Optional[Clock] = None,
                 hours: Optional[Hours] = None) -> None:
        self.store, self.queue = store, queue
        self.clock = clock or SystemClock()
        self.hours = hours or Hours.from_env()

    @classmethod
    def from_settings(cls, database_url: Optional[str] = None, redis_url: Optional[str] = None) -> "Desk":
        from core.settings import load

        settings = load()
        store = CaseStore(database_url or settings.database_url, sla=SlaPolicy.from_spec(settings.handoff_sla))
        store.create_schema()
        client = redis.Redis.from_url(redis_url or settings.redis_url, decode_responses=True)
        desk = cls(store, CaseQueue(client))
        desk.ensure_queue()
        return desk

    # --- the queue as an index of the database -------------------------------------------------

    def ensure_queue(self) -> int:
        """After Redis lost its data (flush, restart without persistence) the queue is rebuilt
        from the open cases, so nothing waiting is lost. Returns how many cases were re-queued."""
        if self.queue.is_built():
            return -1
        return self.rebuild_queue()

    def rebuild_queue(self) -> int:
        return self.queue.rebuild(self._entry(case) for case in self.store.queued_cases())

    def _entry(self, case: CaseView) -> QueueEntry:
        return QueueEntry(case.id, case.team, queue_language(case.language), case.priority,
                          case.first_response_due, case.created_at)

    def _enqueue(self, case: CaseView) -> None:
        self.queue.enqueue(case.id, case.team, queue_language(case.language), case.priority,
                           case.first_response_due, case.created_at)
        self.queue.publish("queued", {"case_id": case.id, "priority": case.priority, "severity": case.severity})

    # --- the bot's side -------------------------------------------------------------------------

    def agents_available(self, team: str = "general") -> bool:
        """Someone can answer now: within hours and an agent of the team (or any) is online."""
        if not self.hours.open_at(self.clock.now()):
            return False
        return self.queue.agents_online(team) > 0 or self.queue.agents_online() > 0

    def open_case(self, *, conversation_id: str, channel: str, customer_id: str, language: str, category: str,
                  severity: str, emotion: Optional[str], reasons: list[str], handoff: bool, queue_status: str,
                  summary: str = "", package: Optional[dict[str, Any]] = None) -> CaseView:
        """The conversation's open case, raised to what the bot knows now, or a new one. One
        conversation keeps one case until it is closed, so repeated complaints add up."""
        team = team_for(category)
        existing = self.store.open_case_for(conversation_id)
        if existing is None:
            return self.store.create_case(
                conversation_id=conversation_id, channel=channel, customer_id=customer_id, language=language,
                category=category, severity=severity, emotion=emotion, reasons=reasons,
                priority=priority(severity, emotion), handoff=handoff, queue_status=queue_status, summary=summary,
                package=package, team=team)
        level = max(existing.severity, severity, key=SEVERITIES.index)
        fields: dict[str, Any] = {
            "severity": level, "emotion": emotion or existing.emotion, "reasons": reasons or existing.reasons,
            "priority": max(existing.priority, priority(level, emotion, existing.breaches)),
            "handoff": existing.handoff or handoff, "summary": summary or existing.summary,
            "package": package or existing.package}
        if existing.category == "complain_general" and category.startswith("complain_"):
            fields["category"] = category
        if existing.queue_status in ("none", "returned") or (queue_status == "queued"
                                                              and existing.queue_status == "callback"):
            fields["queue_status"] = queue_status
        return self.store.update(existing.id, **fields)

    def hand_off(self, **case_fields: Any) -> Ticket:
        """Severe, upset, asked for: a case in the queue, or a callback request when nobody can
        answer now (the case waits in the queue all the same)."""
        team = team_for(str(case_fields.get("category") or ""))
        available = self.agents_available(team)
        case = self.open_case(handoff=True, queue_status="queued" if available else "callback", **case_fields)
        if case.queue_status == "claimed":
            return Ticket(case, None, 0, self.queue.agents_online(), callback=False)
        self._enqueue(case)
        position = self.queue.position(case.id)
        online = self.queue.agents_online()
        # the customers ahead are served first; with none ahead the wait is a pickup, about a minute
        wait = estimate_wait(position - 1, online) if position is not None else None
        return Ticket(case, position, wait, online, callback=not available)

    def register(self, **case_fields: Any) -> CaseView:
        """A complaint the bot handles itself still gets a case id and is followed to the end."""
        return self.open_case(handoff=False, queue_status="none", **case_fields)

    def record_callback(self, case_id: str, contact: str) -> CaseView:
        case = self.store.update(case_id, callback_contact=contact)
        self.store.add_message(case_id, "system", "callback requested", author="customer")
        self.queue.publish("callback", {"case_id": case_id})
        return case

    def earlier_cases(self, customer_id: str, exclude: Optional[str] = None) -> list[CaseView]:
        return self.store.cases_of_customer(customer_id, exclude=exclude)

    def customer_event(self, event: dict[str, Any], key: str) -> Optional[str]:
        """A tracker event from the stream: a message written while people handle the case joins
        the case's transcript once, however often it is delivered. Returns the case id if stored."""
        kind = event.get("event")
        if kind not in ("user", "bot") or not event.get("sender_id"):
            return None
        metadata = event.get("metadata") or {}
        if kind == "bot" and metadata.get("handoff_agent"):
            return None  # the agent's own reply, stored when it was sent
        case = self.store.open_case_for(str(event["sender_id"]))
        if case is None or case.queue_status not in HUMAN_PHASE:
            return None
        at = datetime.fromtimestamp(float(event.get("timestamp") or 0), tz=timezone.utc)
        if at < case.created_at:
            return None  # before the handoff: it is in the package's transcript
        parse = event.get("parse_data") or {}
        emotion = parse.get("emotion") or {}
        stored = self.store.add_message(  # masked like the package: phones and ids never in full
            case.id, "customer" if kind == "user" else "bot", mask(str(event.get("text") or "")),
            intent=(parse.get("intent") or {}).get("name"), emotion=emotion.get("name"),
            confidence=emotion.get("confidence"), event_key=key, at=at)
        if stored is None:
            return None
        self.queue.publish("message", {"case_id": case.id, "role": stored.role, "id": stored.id})
        return case.id

    # --- the agents' side -----------------------------------------------------------------------

    def list_queue(self, agent: Any) -> list[dict[str, Any]]:
        """Waiting cases this agent may take (their teams and languages), best first, with the
        fields a queue row shows."""
        self.ensure_queue()
        teams = None if agent.role == "supervisor" else list(agent.teams)
        languages = None if agent.role == "supervisor" else [queue_language(x) for x in agent.languages]
        rows = []
        for position, entry in enumerate(self.queue.entries(teams, languages), start=1):
            try:
                case = self.store.get(entry.case_id)
            except LookupError:
                continue
            rows.append({**case_row(case), "position": position})
        return rows

    def claim(self, case_id: str, agent: Any) -> CaseView:
        """Redis answers fast who got it; the database's conditional update is the arbiter, so a
        case is never claimed twice even if Redis lost its data."""
        case = self.store.get(case_id)
        self.queue.claim(case.id)
        claimed = self.store.claim(case.id, agent.id)  # raises ClaimConflict naming the holder
        self.queue.publish("claimed", {"case_id": claimed.id, "agent": agent.name})
        return claimed

    def claim_next(self, agent: Any) -> Optional[CaseView]:
        self.ensure_queue()
        teams, languages = list(agent.teams), [queue_language(x) for x in agent.languages]
        for _ in range(20):
            case_id = self.queue.claim_next(teams, languages)
            if case_id is None:
                return None
            try:
                claimed = self.store.claim(case_id, agent.id)
            except ClaimConflict:
                continue  # stale index entry: someone has it already
            self.queue.publish("claimed", {"case_id": claimed.id, "agent": agent.name})
            return claimed
        return None

    def _serving(self, case_id: str, agent: Any) -> CaseView:
        case = self.store.get(case_id)
        if agent.role != "supervisor" and case.assigned_agent_id != agent.id:
            raise Forbidden(f"case {case.id} is not assigned to you")
        return case

    def reply(self, case_id: str, agent: Any, text: str, key: Optional[str] = None) -> tuple[CaseView, Any]:
        """Stores the agent's reply (once per key). Delivery to the customer is the caller's."""
        case = self._serving(case_id, agent)
        if case.state == "closed":
            raise Conflict(f"case {case.id} is closed; reopen it to write to the customer")
        if case.resolved_at is not None or case.queue_status == "returned":
            raise Conflict(f"case {case.id} was resolved and handed back to the bot; reopen it to reply")
        if case.queue_status != "claimed":
            raise Conflict(f"case {case.id} is not claimed; claim it first")
        stored = self.store.add_message(case.id, "agent", text, author=agent.name, event_key=key)
        return self.store.get(case.id), stored

    def note(self, case_id: str, agent: Any, text: str) -> Any:
        case = self.store.get(case_id)
        note = self.store.add_message(case.id, "note", text, author=agent.name)
        self.queue.publish("message", {"case_id": case.id, "role": "note"})
        return note

    def transfer(self, case_id: str, agent: Any, *, to_agent: Optional[Any] = None, team: Optional[str] = None,
                 note: str = "") -> CaseView:
        """To a colleague (it is theirs at once) or back to a team's queue."""
        case = self._serving(case_id, agent)
        if case.state == "closed":
            raise Conflict(f"case {case.id} is closed")
        actor = f"agent:{agent.name}"
        if to_agent is not None:
            moved = self.store.assign(case.id, to_agent.id, None, actor, note)
            self.queue.remove(case.id)
        else:
            moved = self.store.assign(case.id, None, team or case.team, actor, note)
            self._enqueue(moved)
        self.queue.publish("transferred", {"case_id": case.id, "agent": getattr(to_agent, "name", None),
                                           "team": team})
        return moved

    def update_state(self, case_id: str, agent: Any, state: str, note: str = "") -> CaseView:
        self._serving(case_id, agent)
        return self.store.transition(case_id, state, f"agent:{agent.name}", note)

    def resolve(self, case_id: str, agent: Any, note: str = "") -> CaseView:
        case = self._serving(case_id, agent)
        if case.resolved_at is not None and case.queue_status == "returned":
            raise Conflict(f"case {case.id} is already resolved")
        resolved = self.store.resolve(case.id, f"agent:{agent.name}", note)
        self.queue.remove(case.id)
        self.queue.publish("resolved", {"case_id": case.id})
        return resolved

    def check_sla(self) -> list[Any]:
        """Breached deadlines raise the case's priority (and its place in the queue) and alert
        the supervisors; each deadline alerts once."""
        alerts = []
        for case, kind in self.store.due_breaches(self.clock.now()):
            new_priority = priority(case.severity, case.emotion, case.breaches + 1)
            alert = self.store.record_breach(case.id, kind, new_priority)
            if alert is None:
                continue  # another process recorded this breach first
            self.queue.reprioritize(case.id, new_priority)
            self.queue.publish("alert", {"case_id": case.id, "kind": kind, "alert": alert.id})
            alerts.append(alert)
        return alerts




def case_row(case: CaseView) -> dict[str, Any]:
    """The fields of a case a queue or list shows (no transcript)."""
    data = case.to_dict()
    data.pop("package", None)
    return data
