"""The service desk: what the bot and the agents do with cases, over the case store (the truth)
and the Redis queue (the fast index). The action server and the handoff service both use it,
and only it, so a case created by the bot is claimable the moment the action returns, and every
change reaches the consoles' live feed the same way.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Mapping, Optional

import redis

from core.settings import Settings
from core.vocabulary import CLOSED, FOLLOW_UP, SEVERITIES, priority
from handoff import access, lifecycle
from handoff.clock import Clock, SystemClock
from handoff.masking import mask
from handoff.queue import CaseQueue, estimate_wait
from handoff.queue_index import QueueIndex
from handoff.reads import AgentReads
from handoff.sla import SlaPolicy
from handoff.staffing import DEFAULT_TEAM, Hours, team_for
from handoff.store import (
    AgentView,
    AlertView,
    CaseStore,
    CaseView,
    ClaimConflict,
    FollowUpView,
    MessageView,
    RatingRefused,
    RatingView,
)
from handoff.store.agents import CASE_ROLES
from handoff.store.cases import printable

log = logging.getLogger("handoff.desk")
HUMAN_PHASE = ("queued", "claimed", "callback", "returned")
PAUSED = ("queued", "claimed", "callback")  # the bot is silent while the case waits for or is with people
# The handoff package of a case as it is about to be written (its id, its deadlines), given the
# customer's earlier cases: built by the caller, written with the case in one go.
PackageBuilder = Callable[[CaseView, list[CaseView]], dict[str, Any]]


class Forbidden(PermissionError):
    """The agent may not do this to this case (not theirs, or not a supervisor)."""


class Invalid(ValueError):
    """The request names something that does not exist (a team, a colleague): nothing was written."""


class Conflict(RuntimeError):
    """The case is not in a state that allows this (already resolved, not claimed, …)."""


@dataclass(frozen=True)
class Ticket:
    """What the customer is told after a handoff: the case, the place in the queue, the wait."""

    case: CaseView
    position: Optional[int]
    wait_seconds: Optional[int]
    agents_online: int
    callback: bool


class Desk(AgentReads):
    def __init__(self, store: CaseStore, queue: CaseQueue, clock: Optional[Clock] = None,
                 hours: Optional[Hours] = None, teams: Optional[Mapping[str, str]] = None) -> None:
        """Without `hours` and `teams`: round the clock, one team (see `from_settings`)."""
        self.store, self.queue = store, queue
        self.index = QueueIndex(store, queue)
        self.clock = clock or SystemClock()
        self.hours = hours or Hours()
        self.teams: Mapping[str, str] = dict(teams or {})

    @classmethod
    def from_settings(cls, settings: Settings) -> "Desk":
        """The desk of a process (the action server, the handoff service): the configured database
        (migrated), Redis (the queue rebuilt if it lost its data), hours and teams."""
        store = CaseStore(settings.database_url, sla=SlaPolicy.from_spec(settings.handoff_sla))
        store.create_schema()
        client = redis.Redis.from_url(settings.redis_url, decode_responses=True)
        desk = cls(store, CaseQueue(client), hours=Hours.from_settings(settings), teams=settings.handoff_teams)
        desk.ensure_queue()
        return desk

    def ping(self) -> None:
        """Raises unless the case database answers a trivial query (the service's /ready)."""
        with self.store.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")

    # --- the queue as an index of the database (handoff.queue_index) ---------------------------

    def ensure_queue(self) -> int:
        return self.index.ensure()

    def rebuild_queue(self) -> int:
        return self.index.rebuild()

    def reconcile(self) -> tuple[int, int]:
        return self.index.reconcile()

    # --- the bot's side -------------------------------------------------------------------------

    def agents_available(self, team: str = DEFAULT_TEAM) -> bool:
        """Someone can answer now: within hours and an agent of the team (or any) is online."""
        if not self.hours.open_at(self.clock.now()):
            return False
        return self.queue.agents_online(team) > 0 or self.queue.agents_online() > 0

    def open_case(self, *, conversation_id: str, channel: str, customer_id: str, language: str, category: str,
                  severity: str, emotion: Optional[str], reasons: list[str], handoff: bool, queue_status: str,
                  summary: str = "", package: Optional[PackageBuilder] = None) -> CaseView:
        """The conversation's open case, raised to what the bot knows now, or a new one. One
        conversation keeps one case until it is closed, so repeated complaints add up. The
        package (and its summary) is written with the case, so no agent ever sees it without."""
        team = team_for(category, self.teams)
        existing = self.store.open_case_for(conversation_id)
        derive = self._packaging(package, existing.customer_id if existing else customer_id, existing)
        if existing is None:
            return self.store.create_case(
                conversation_id=conversation_id, channel=channel, customer_id=customer_id, language=language,
                category=category, severity=severity, emotion=emotion, reasons=reasons,
                priority=priority(severity, emotion), handoff=handoff, queue_status=queue_status, summary=summary,
                team=team, derive=derive)
        level = max(existing.severity, severity, key=SEVERITIES.index)
        fields: dict[str, Any] = {
            "severity": level, "emotion": emotion or existing.emotion, "reasons": reasons or existing.reasons,
            "priority": max(existing.priority, priority(level, emotion, existing.breaches)),
            "handoff": existing.handoff or handoff, "summary": summary or existing.summary}
        if existing.category == "complain_general" and category.startswith("complain_"):
            fields["category"] = category
        if existing.queue_status in ("none", "returned") or (queue_status == "queued"
                                                              and existing.queue_status == "callback"):
            fields["queue_status"] = queue_status
        return self.store.update(existing.id, derive=derive, **fields)

    def _packaging(self, package: Optional[PackageBuilder], customer_id: str,
                   existing: Optional[CaseView]) -> Optional[Callable[[CaseView], dict[str, Any]]]:
        """The store calls this with the case as it is about to be written: the package needs the
        case id (a new case has none before) and the deadlines the escalation moves."""
        if package is None:
            return None
        builder = package
        earlier = self.earlier_cases(customer_id, exclude=existing.id if existing else None)

        def derive(case: CaseView) -> dict[str, Any]:
            built = builder(case, earlier)
            return {"package": built, "summary": str(built.get("summary") or "")}

        return derive

    def hand_off(self, **case_fields: Any) -> Ticket:
        """Severe, upset, asked for: a case in the queue, or a callback request when nobody can
        answer now (the case waits in the queue all the same)."""
        team = team_for(str(case_fields.get("category") or ""), self.teams)
        available = self.agents_available(team)
        case = self.open_case(handoff=True, queue_status="queued" if available else "callback", **case_fields)
        if case.queue_status == "claimed":
            return Ticket(case, None, 0, self.queue.agents_online(), callback=False)
        self.index.enqueue(case)
        position = self.queue.position(case.id)
        online = self.queue.agents_online()
        # the customers ahead are served first; with none ahead the wait is a pickup, about a minute
        wait = estimate_wait(position - 1, online) if position is not None else None
        return Ticket(case, position, wait, online, callback=not available)

    def register(self, **case_fields: Any) -> CaseView:
        """A complaint the bot handles itself still gets a case id and is followed to the end."""
        return self.open_case(handoff=False, queue_status="none", **case_fields)

    def record_callback(self, case_id: str, contact: str) -> CaseView:
        case = self.store.update(case_id, callback_contact=printable(contact)[:255])
        self.store.add_message(case_id, "system", "callback requested", author="customer")
        self.queue.publish("callback", {"case_id": case_id})
        return case

    def earlier_cases(self, customer_id: str, exclude: Optional[str] = None) -> list[CaseView]:
        return self.store.cases_of_customer(customer_id, exclude=exclude)

    def case(self, case_id: str) -> CaseView:
        """Raises CaseNotFound (a LookupError)."""
        return self.store.get(case_id)

    def rate(self, case_id: str, score: int, comment: Optional[str] = None) -> RatingView:
        """The customer's 1–5, stored the moment it is given; it closes the case. Only a case that
        was resolved and has no rating yet may be rated (Conflict otherwise), so a forged call for a
        case still with people, or a second score, changes nothing. The comment, if it comes, is
        added later (`add_rating_comment`)."""
        try:
            return self.store.rate(case_id, score, comment, once=True)
        except RatingRefused as exc:
            raise Conflict(str(exc)) from exc

    def add_rating_comment(self, case_id: str, comment: str) -> RatingView:
        """The customer's comment on the rating they gave (Conflict if there is none, or it has a
        comment already); an empty comment leaves the rating as it is."""
        try:
            return self.store.add_rating_comment(case_id, comment)
        except RatingRefused as exc:
            raise Conflict(str(exc)) from exc

    def decline_rating(self, case_id: str) -> CaseView:
        """The customer skipped the rating: the case closes all the same. Like a rating, only
        after the case was resolved (Conflict otherwise)."""
        case = self.store.get(case_id)
        if case.state == CLOSED:
            return case
        if case.resolved_at is None:
            raise Conflict(f"case {case.id} was not resolved; it stays open")
        return self.store.transition(case.id, CLOSED, "customer", "customer declined to rate")

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
            case.id, "customer" if kind == "user" else "bot", mask(printable(str(event.get("text") or ""))),
            intent=(parse.get("intent") or {}).get("name"), emotion=emotion.get("name"),
            confidence=emotion.get("confidence"), event_key=key, at=at)
        if stored is None:
            return None
        self.queue.publish("message", {"case_id": case.id, "role": stored.role, "id": stored.id})
        return case.id

    # --- the agents' side -----------------------------------------------------------------------
    # Every read and write below goes through `_visible` (outside the agent's teams and languages
    # a case is "not found", like an id never issued) and shows contacts only to whoever serves
    # the case (handoff.access).

    def authenticate(self, token: str, presence_ttl: int = 90) -> Optional[AgentView]:
        """The active agent holding this API token, now counted online for `presence_ttl` seconds.
        A disabled agent or a rotated token fails here, at the very next request."""
        agent = self.store.agent_by_token(token)
        if agent is None or not agent.active:
            return None
        if agent.role in CASE_ROLES:  # a trainer is no one the bot may promise to a customer
            self.queue.touch_agent(agent.id, ttl=presence_ttl, teams=agent.teams)
        return agent

    def agent_named(self, name: str) -> Optional[AgentView]:
        if not name.strip() or len(name) > 64 or not name.isprintable():
            return None  # not a name we could have issued; the database never sees it
        return self.store.agent_by_name(name)

    def agents_online(self) -> int:
        return self.queue.agents_online()

    def claim(self, case_id: str, agent: AgentView) -> CaseView:
        """Redis answers fast who got it; the database's conditional update is the arbiter, so a
        case is never claimed twice even if Redis lost its data. Outside the agent's teams and
        languages the case is not found (a supervisor may take any)."""
        case = self._visible(case_id, agent)
        self.queue.claim(case.id)
        claimed = self.store.claim(case.id, agent.id)  # raises ClaimConflict naming the holder
        self.queue.publish("claimed", {"case_id": claimed.id, "agent": agent.name})
        return claimed

    def claim_next(self, agent: AgentView) -> Optional[CaseView]:
        """The best waiting case of the agent's own teams × languages (a supervisor's too: the
        queue keys are built from the agent's lists, so nothing outside them is ever popped)."""
        self.ensure_queue()
        teams, languages = list(agent.teams), sorted(access.queue_languages(agent.languages))
        for _ in range(20):
            case_id = self.queue.claim_next(teams, languages)
            if case_id is None:
                return None
            try:
                claimed = self.store.claim(case_id, agent.id)
            except (ClaimConflict, LookupError):
                continue  # stale index entry: someone has it already, or it is gone
            self.queue.publish("claimed", {"case_id": claimed.id, "agent": agent.name})
            return claimed
        return None

    def _serving(self, case_id: str, agent: AgentView) -> CaseView:
        case = self._visible(case_id, agent)
        if not access.serves(agent, case):
            raise Forbidden(f"case {case.id} is not assigned to you")
        return case

    @staticmethod
    def request_key(case_id: str, agent: AgentView, route: str, key: str) -> str:
        """An Idempotency-Key counts per case, agent and route: the same key from another agent or
        on another case is a new request. Hashed, so any header value fits the column."""
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:40]
        return f"agent:{agent.id}:{case_id}:{route}:{digest}"

    def reply(self, case_id: str, agent: AgentView, text: str,
              key: Optional[str] = None) -> tuple[CaseView, Optional[MessageView]]:
        """Stores the agent's reply (once per idempotency key: None the second time). Delivery to
        the customer is the caller's; it then calls `delivered` or `undelivered`."""
        case = self._serving(case_id, agent)
        if case.state == CLOSED:
            raise Conflict(f"case {case.id} is closed; reopen it to write to the customer")
        if case.resolved_at is not None or case.queue_status == "returned":
            raise Conflict(f"case {case.id} was resolved and handed back to the bot; reopen it to reply")
        if case.queue_status != "claimed":
            raise Conflict(f"case {case.id} is not claimed; claim it first")
        event_key = self.request_key(case.id, agent, "reply", key) if key else None
        stored = self.store.add_message(case.id, "agent", text, author=agent.name, event_key=event_key)
        return self.store.get(case.id), stored

    def delivered(self, case_id: str, message: MessageView) -> None:
        """The agent's reply reached the customer: the consoles show it."""
        self.queue.publish("message", {"case_id": case_id, "role": "agent", "id": message.id})

    def system_note(self, case_id: str, text: str) -> None:
        """What went wrong on the way to the customer, in the case's transcript for the agent."""
        self.store.add_message(case_id, "system", text, author="handoff")

    def note(self, case_id: str, agent: AgentView, text: str, key: Optional[str] = None) -> Optional[MessageView]:
        case = self._visible(case_id, agent)
        event_key = self.request_key(case.id, agent, "note", key) if key else None
        note = self.store.add_message(case.id, "note", text, author=agent.name, event_key=event_key)
        if note is not None:
            self.queue.publish("message", {"case_id": case.id, "role": "note"})
        return note

    def known_teams(self) -> set[str]:
        """Teams a case may go to: the default, the configured routing's and those agents work in."""
        working = (a for a in self.store.agents() if a.active and a.role in CASE_ROLES)
        return {DEFAULT_TEAM, *self.teams.values(), *(t for a in working for t in a.teams)}

    def transfer(self, case_id: str, agent: AgentView, *, to_agent: Optional[AgentView] = None,
                 team: Optional[str] = None, note: str = "") -> CaseView:
        """To a colleague (it is theirs at once) or back to a team's queue. Everything is checked
        before anything is written: an unknown team or a disabled colleague is refused (422) with
        the database and the queue untouched."""
        case = self._serving(case_id, agent)
        if case.state == CLOSED:
            raise Conflict(f"case {case.id} is closed")
        if to_agent is not None and not to_agent.active:
            raise Invalid(f"agent {to_agent.name} is disabled")
        if to_agent is not None and to_agent.role not in CASE_ROLES:
            raise Invalid(f"{to_agent.name} is a {to_agent.role} and does not work cases")
        if to_agent is None and team is not None and team not in self.known_teams():
            raise Invalid(f"no team {team[:64]!r}; teams: {', '.join(sorted(self.known_teams()))}")
        actor = f"agent:{agent.name}"
        if to_agent is not None:
            moved = self.store.assign(case.id, to_agent.id, None, actor, note)
            self.queue.remove(case.id)
        else:
            moved = self.store.assign(case.id, None, team or case.team, actor, note)
            self.index.enqueue(moved)  # if Redis fails here, the reconcile sweep queues it again
        self.queue.publish("transferred", {"case_id": case.id, "agent": to_agent.name if to_agent else None,
                                           "team": team})
        return moved

    def update_state(self, case_id: str, agent: AgentView, state: str, note: str = "") -> tuple[CaseView, bool]:
        """A move in the case's lifecycle. Follow-up and closed end the people's part: they go
        through `_finish`, like `resolve`. Returns the case and whether the caller must hand the
        conversation back to the bot."""
        case = self._serving(case_id, agent)
        if state in (FOLLOW_UP, CLOSED) and case.state != state:
            lifecycle.check(case.state, state)
            return self._finish(case, agent, note, state)
        return self.store.transition(case.id, state, f"agent:{agent.name}", note), False

    def resolve(self, case_id: str, agent: AgentView, note: str = "", *, final_category: Optional[str] = None,
                final_severity: Optional[str] = None) -> tuple[CaseView, bool]:
        """`final_category`/`final_severity`: the agent's labels (the console sends them pre-filled
        with the bot's), stored with the agent's name; None leaves them unset."""
        case = self._serving(case_id, agent)
        if case.resolved_at is not None and case.queue_status == "returned":
            raise Conflict(f"case {case.id} is already resolved")
        return self._finish(case, agent, note, FOLLOW_UP, final_category=final_category,
                            final_severity=final_severity)

    def _finish(self, case: CaseView, agent: AgentView, note: str, state: str, *,
                final_category: Optional[str] = None, final_severity: Optional[str] = None) -> tuple[CaseView, bool]:
        """The one place where people let go of a case, whichever route they took (resolve, the
        state to follow_up or closed): out of the queue, and, if the conversation was with people
        (paused for them) or it was resolved, the caller must hand it back to the bot
        (handoff.api.customer.hand_back, which calls RasaClient.hand_back)."""
        # a paused conversation must be resumed whichever way the case ends; resolving (to
        # follow_up) always hands back, as it always did, for the bot to ask for the rating
        hand_back = case.queue_status in PAUSED or state == FOLLOW_UP
        finished = self.store.resolve(case.id, f"agent:{agent.name}", note, to_state=state, labelled_by=agent.name,
                                      final_category=final_category, final_severity=final_severity)
        self.queue.remove(case.id)
        self.queue.publish("resolved", {"case_id": case.id})
        return finished, hand_back

    # --- supervisors: SLA alerts and follow-ups -------------------------------------------------

    def check_sla(self) -> list[AlertView]:
        """Breached deadlines raise the case's priority (and its place in the queue) and alert
        the supervisors; each deadline alerts once."""
        alerts = []
        for case, kind in self.store.due_breaches(self.clock.now()):
            new_priority = priority(case.severity, case.emotion, case.breaches + 1)
            alert = self.store.record_breach(case.id, kind, new_priority)
            self.queue.reprioritize(case.id, new_priority)
            self.queue.publish("alert", {"case_id": case.id, "kind": kind, "alert": alert.id})
            alerts.append(alert)
        return alerts

    def alerts(self, open_only: bool = False) -> list[AlertView]:
        return self.store.alerts(open_only)

    def acknowledge(self, alert_id: int, agent: AgentView) -> AlertView:
        """Raises StoreError for an unknown alert; the first acknowledgement stands."""
        alert = self.store.acknowledge(alert_id, agent.name)
        self.queue.publish("alert", {"alert": alert_id, "acknowledged_by": agent.name})
        return alert

    def review(self, alert_id: int, agent: AgentView, note: str) -> AlertView:
        """Closes the alert with its 复盘 note. Raises AlertNotFound, AlreadyReviewed, or ValueError
        for an empty or over-long note."""
        alert = self.store.review(alert_id, agent.name, note)
        self.queue.publish("alert", {"alert": alert_id, "reviewed_by": agent.name})
        return alert

    def follow_ups(self) -> list[FollowUpView]:
        """Open 回访 tasks."""
        return self.store.follow_ups()

