"""Who is asking: an agent's API token (`Authorization: Bearer …`, or `?token=` where a header
cannot be set, as for the browser's EventSource), and what their role lets them do.

Every authenticated request of an agent or a supervisor also counts them as online (presence),
which is what the bot asks before promising a person. Trainers sign in the same way but never
work cases (the queue, the cases, the live feed answer them 403) and never count as online: they
see the trainers' inbox, in masked archive text (docs/training.md)."""

from __future__ import annotations

from sanic.request import Request

from handoff.api.http import ApiError, off_loop, services
from handoff.store import AgentView
from handoff.store.agents import CASE_ROLES, TRAINING_ROLES


def token_of(request: Request) -> str:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return str(request.args.get("token", ""))


async def person_of(request: Request) -> AgentView:
    """Whoever holds the token, in any role; ApiError 401 without a token or with an unknown or
    disabled one."""
    token = token_of(request)
    if not token:
        raise ApiError(401, "unauthenticated", "send your API token as `Authorization: Bearer …`")
    found = services(request)
    agent = await off_loop(found.desk.authenticate, token, presence_ttl=found.presence_ttl)
    if agent is None:
        raise ApiError(401, "unauthenticated", "unknown or disabled API token")
    return agent


async def agent_of(request: Request) -> AgentView:
    """The agent or supervisor behind the request, who works cases; 401 as `person_of`, 403 for a
    trainer."""
    agent = await person_of(request)
    if agent.role not in CASE_ROLES:
        raise ApiError(403, "forbidden", "trainers do not work cases; the trainers' inbox is /console/training.html")
    return agent


async def trainer_of(request: Request) -> AgentView:
    """A trainer or a supervisor: who may read the trainers' inbox and label; 403 for an agent."""
    agent = await person_of(request)
    if agent.role not in TRAINING_ROLES:
        raise ApiError(403, "forbidden", "only trainers and supervisors may do this")
    return agent


def require_supervisor(agent: AgentView) -> None:
    if agent.role != "supervisor":
        raise ApiError(403, "forbidden", "only supervisors may do this")


async def supervisor_of(request: Request) -> AgentView:
    agent = await agent_of(request)
    require_supervisor(agent)
    return agent
