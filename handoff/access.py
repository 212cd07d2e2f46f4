"""Who may see which case, and how much of it.

An agent works the cases of their teams and languages; a supervisor sees every case. Outside
that scope a case does not exist for the agent: the desk answers "no case …" exactly as for an
id that was never issued, so case ids (which are sequential) cannot be probed for existence.

Contact details are shown in full only to the person who serves the case (its assigned agent)
and to supervisors: a colleague browsing the team's queue sees the callback number, the
customer's id and every phone, id or e-mail in the summary, package and transcript masked. The
stored package and the customer's transcript are masked already (handoff.package, the stream
consumer); what is unmasked in storage is the callback contact, the customer/conversation id
(which may be an e-mail on the REST channel) and the agents' own replies.
"""

from __future__ import annotations

from typing import Any, Iterable

from handoff.masking import mask, mask_value
from handoff.store import AgentView, CaseView, MessageView


def queue_language(language: str) -> str:
    """Agents read Chinese or English; both Chinese scripts go to the same agents."""
    return "en" if language == "en" else "zh"


def queue_languages(languages: Iterable[str]) -> set[str]:
    return {queue_language(language) for language in languages}


def is_supervisor(agent: AgentView) -> bool:
    return agent.role == "supervisor"


def may_see(agent: AgentView, case: CaseView) -> bool:
    """A supervisor, the agent serving the case, or an agent of its team reading its language."""
    if is_supervisor(agent) or case.assigned_agent_id == agent.id:
        return True
    return case.team in agent.teams and queue_language(case.language) in queue_languages(agent.languages)


def serves(agent: AgentView, case: CaseView) -> bool:
    """May read the contact in full and write to the customer: the case's agent or a supervisor."""
    return is_supervisor(agent) or case.assigned_agent_id == agent.id


def case_dict(case: CaseView, agent: AgentView, *, package: bool = True) -> dict[str, Any]:
    """The case as this agent may see it: in full if they serve it, else with contacts masked."""
    data = case.to_dict()
    if not package:
        data.pop("package", None)
    if serves(agent, case):
        return data
    for name in ("customer_id", "conversation_id", "summary"):
        data[name] = mask(str(data[name] or "")) if data.get(name) is not None else None
    if data.get("callback_contact"):
        data["callback_contact"] = mask_value("callback_contact", data["callback_contact"])
    if data.get("package") is not None:
        data["package"] = mask_value("package", data["package"])
    return data


def message_dict(message: MessageView, agent: AgentView, case: CaseView) -> dict[str, Any]:
    data = message.to_dict()
    if not serves(agent, case):
        data["text"] = mask(str(data["text"] or ""))
        data["event_key"] = None  # the stream's key names the sender (the conversation id)
    return data
