"""Agents and their bearer tokens; only a token's SHA-256 is stored, so a leaked database grants no access."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from handoff.models import AgentRow
from handoff.store.db import StoreBase, choice
from handoff.store.errors import AgentNotFound
from handoff.store.views import AgentView

ROLES = ("agent", "supervisor", "trainer")
# Who works customers' cases (the queue, the cases, the live feed) and counts as a person online
# the bot may promise. Trainers do not: they review what the bot understood, in masked archive
# text (handoff/training), never a customer's case or contact.
CASE_ROLES = ("agent", "supervisor")
# Who may label and skip in the trainers' inbox (docs/training.md).
TRAINING_ROLES = ("trainer", "supervisor")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A bearer token that cannot be mistaken for a command-line option."""
    while True:
        token = secrets.token_urlsafe(24)
        if not token.startswith("-"):
            return token


class AgentRepository(StoreBase):
    def create_agent(
        self, name: str, role: str, teams: Optional[list[str]] = None, languages: Optional[list[str]] = None,
    ) -> tuple[AgentView, str]:
        """Returns the agent and its bearer token; only the token's SHA-256 is stored."""
        name = name.strip()
        if not name or len(name) > 64:
            raise ValueError("an agent name has 1 to 64 characters")
        choice("role", role, ROLES)
        token = new_token()

        def work(s: Session) -> AgentView:
            if s.execute(sa.select(AgentRow.id).where(AgentRow.name == name)).first() is not None:
                raise ValueError(f"an agent named {name!r} already exists")
            row = AgentRow(name=name, role=role, token_hash=token_hash(token), teams=list(teams or ["general"]),
                           languages=list(languages or ["zh", "en"]), active=True, created_at=self.clock.now())
            s.add(row)
            s.flush()
            return self._agent_view(row)

        try:
            return self._write(work), token
        except IntegrityError:
            raise ValueError(f"an agent named {name!r} already exists") from None

    @staticmethod
    def _agent_view(row: Any) -> AgentView:
        return AgentView.of(row, teams=tuple(row.teams), languages=tuple(row.languages))

    def agent_by_token(self, token: str) -> Optional[AgentView]:
        """The active agent holding this token, or None."""
        if not token:
            return None

        def work(s: Session) -> Optional[AgentView]:
            row = s.execute(sa.select(AgentRow).where(AgentRow.token_hash == token_hash(token))).scalar()
            return self._agent_view(row) if row is not None and row.active else None

        return self._read(work)

    def agent(self, agent_id: int) -> AgentView:
        return self._read(lambda s: self._agent_view(self._agent_row(s, agent_id)))

    def agent_by_name(self, name: str) -> Optional[AgentView]:
        def work(s: Session) -> Optional[AgentView]:
            row = s.execute(sa.select(AgentRow).where(AgentRow.name == name.strip())).scalar()
            return self._agent_view(row) if row is not None else None

        return self._read(work)

    def agents(self) -> list[AgentView]:
        return self._read(lambda s: [self._agent_view(r) for r in
                                     s.execute(sa.select(AgentRow).order_by(AgentRow.name)).scalars()])

    def set_active(self, name: str, active: bool) -> AgentView:
        """Disables (or enables again) an agent: its token stops (or starts) working at the next
        request, because every request looks the token up again."""

        def work(s: Session) -> AgentView:
            row = self._named(s, name)
            row.active = active
            s.flush()
            return self._agent_view(row)

        return self._write(work)

    def rotate_token(self, name: str) -> str:
        """A new token for the agent; the old one stops working with this commit."""
        token = new_token()

        def work(s: Session) -> None:
            self._named(s, name).token_hash = token_hash(token)
            s.flush()

        self._write(work)
        return token

    @staticmethod
    def _named(s: Session, name: str) -> Any:
        row = s.execute(sa.select(AgentRow).where(AgentRow.name == name.strip())).scalar()
        if row is None:
            raise AgentNotFound(f"no agent named {name.strip()!r}")
        return row
