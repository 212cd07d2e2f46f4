"""What an agent may read: the queue, case lists, a case and its messages, each within the agent's
scope and masked for everyone but whoever serves the case (handoff.access).

A part of `Desk` (handoff/desk.py), kept in a file of its own because reading has one rule the
writes do not share: a case outside the agent's teams and languages is "not found", exactly like
an id that was never issued, so nobody learns which case ids exist.
"""

from __future__ import annotations

from typing import Any, Optional

from handoff import access, lifecycle
from handoff.queue import CaseQueue
from handoff.store import AgentView, CaseNotFound, CaseStore, CaseView


class AgentReads:
    store: CaseStore
    queue: CaseQueue

    def ensure_queue(self) -> int:
        raise NotImplementedError  # the desk's (handoff.queue_index)

    def _visible(self, case_id: str, agent: AgentView) -> CaseView:
        case = self.store.get(case_id)
        if not access.may_see(agent, case):
            raise CaseNotFound(f"no case {case.id}")  # the same answer as for an unknown id
        return case

    def may_see(self, agent: AgentView, case_id: str) -> bool:
        """For the live feed: whether this agent may hear about this case at all."""
        try:
            self._visible(case_id, agent)
        except LookupError:
            return False
        return True

    def list_queue(self, agent: AgentView) -> list[dict[str, Any]]:
        """Waiting cases this agent may take (their teams and languages), best first, with the
        fields a queue row shows."""
        self.ensure_queue()
        teams = None if access.is_supervisor(agent) else list(agent.teams)
        languages = None if access.is_supervisor(agent) else sorted(access.queue_languages(agent.languages))
        rows = []
        for position, entry in enumerate(self.queue.entries(teams, languages), start=1):
            try:
                case = self.store.get(entry.case_id)
            except LookupError:
                continue
            if access.may_see(agent, case):
                rows.append({**access.case_dict(case, agent, package=False), "position": position})
        return rows

    def cases(self, agent: AgentView, *, mine: bool = False, state: Optional[str] = None) -> list[dict[str, Any]]:
        """The agent's own cases, newest first; a supervisor sees everyone's unless asking for `mine`."""
        if state is not None and state not in lifecycle.STATES:
            raise ValueError(f"`state` must be one of {', '.join(lifecycle.STATES)}")
        everyone = access.is_supervisor(agent) and not mine
        found = self.store.cases(assigned_to=None if everyone else agent.id, state=state)
        return [access.case_dict(case, agent, package=False) for case in found]

    def case_detail(self, case_id: str, agent: AgentView) -> dict[str, Any]:
        """A case as the console opens it: package, transcript, history, rating, the states it may go to."""
        case = self._visible(case_id, agent)
        rating = self.store.rating(case.id)
        return {**access.case_dict(case, agent),
                "messages": [access.message_dict(m, agent, case) for m in self.store.messages(case.id)],
                "transitions": [t.to_dict() for t in self.store.transitions(case.id)],
                "rating": rating.to_dict() if rating else None,
                "allowed_states": sorted(lifecycle.TRANSITIONS.get(case.state, ()))}

    def messages(self, case_id: str, agent: AgentView, after: int = 0) -> list[dict[str, Any]]:
        """The case's messages with an id above `after` (the console polls with the last it has)."""
        case = self._visible(case_id, agent)
        return [access.message_dict(m, agent, case) for m in self.store.messages(case.id) if m.id > after]
