"""Agents and their bearer tokens."""

import pytest
import sqlalchemy as sa

from handoff.store import CaseStore


def test_agent_tokens(store: CaseStore) -> None:
    alice, token = store.create_agent(" alice ", "supervisor", teams=["billing"], languages=["en"])
    assert (alice.name, alice.role, alice.teams, alice.languages) == ("alice", "supervisor", ("billing",), ("en",))
    assert not token.startswith("-") and len(token) >= 32
    assert store.agent_by_token(token) == alice
    assert store.agent_by_token(token + "x") is None and store.agent_by_token("") is None
    with store.engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT token_hash FROM handoff_agents")).scalar()
    assert token not in stored and len(stored) == 64
    assert store.agent(alice.id) == alice and store.agent_by_name("alice") == alice
    with pytest.raises(ValueError, match="already exists"):
        store.create_agent("alice", "agent")
    with pytest.raises(ValueError, match="unknown role"):
        store.create_agent("bob", "admin")
    assert store.create_agent("bob", "agent")[0].teams == ("general",)
    assert [a.name for a in store.agents()] == ["alice", "bob"]
