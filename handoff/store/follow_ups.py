"""Follow-up tasks (回访): calls back to customers of important and severe cases after resolution.
The tasks are scheduled by `CaseRepository.resolve`."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from handoff.models import FollowUpRow
from handoff.store.db import StoreBase
from handoff.store.views import FollowUpView


class FollowUpRepository(StoreBase):
    def follow_ups(self, open_only: bool = True) -> list[FollowUpView]:
        def work(s: Session) -> list[FollowUpView]:
            query = sa.select(FollowUpRow)
            if open_only:
                query = query.where(FollowUpRow.done_at.is_(None))
            return [FollowUpView.of(r) for r in s.execute(query.order_by(FollowUpRow.due_at, FollowUpRow.id)).scalars()]

        return self._read(work)
