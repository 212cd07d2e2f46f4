"""What the customer hears when an agent takes their case over (through Rasa, to their channel)."""

from __future__ import annotations

import logging

from handoff.api.http import Services, off_loop
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


async def hand_back(found: Services, case: CaseView) -> bool:
    """The bot takes the customer back after people let go of the case, whichever route they took
    (resolve, the state to follow_up or closed): the paused conversation resumes and asks for
    the rating. Best effort: a failure is noted in the case for the agent; False then."""
    try:
        await found.rasa.hand_back(case.conversation_id)
    except DeliveryError as exc:
        log.warning("could not hand conversation of case %s back to the bot: %s", case.id, exc)
        await off_loop(found.desk.system_note, case.id, f"hand-back failed: {exc}")
        return False
    return True
