"""Who is asking: an agent's API token (`Authorization: Bearer …`, or `?token=` where a header
cannot be set, as for the browser's EventSource), and whether they are a supervisor.

Every authenticated request also counts the agent as online (presence), which is what the bot
asks before promising a person."""

from __future__ import annotations

from sanic.request import Request

from handoff.api.http import ApiError, off_loop, services
from handoff.store import AgentView


def token_of(request: Request) -> str:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return str(request.args.get("token", ""))


async def agent_of(request: Request) -> AgentView:
    """The agent behind the request; ApiError 401 without a token or with an unknown or disabled one."""
    token = token_of(request)
    if not token:
        raise ApiError(401, "unauthenticated", "send your API token as `Authorization: Bearer …`")
    found = services(request)
    agent = await off_loop(found.desk.authenticate, token, presence_ttl=found.presence_ttl)
    if agent is None:
        raise ApiError(401, "unauthenticated", "unknown or disabled API token")
    return agent


def require_supervisor(agent: AgentView) -> None:
    if agent.role != "supervisor":
        raise ApiError(403, "forbidden", "only supervisors may do this")


async def supervisor_of(request: Request) -> AgentView:
    agent = await agent_of(request)
    require_supervisor(agent)
    return agent
