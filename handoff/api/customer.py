"""What the customer hears when an agent takes their case over (through Rasa, to their channel)."""

from __future__ import annotations

import logging

from handoff.api.http import Services
from handoff.rasa_client import DeliveryError
from handoff.store import AgentView, CaseView

log = logging.getLogger("handoff.service")


async def greet(found: Services, case: CaseView, agent: AgentView) -> None:
    """The customer hears that a person has joined (best effort: the claim stands)."""
    try:
        await found.rasa.say(case.conversation_id, found.texts.get().line("agent_joined", case.language,
                                                                          agent=agent.name),
                             agent=agent.name, case_id=case.id)
    except DeliveryError:
        log.warning("could not tell conversation of case %s that the agent joined", case.id)
