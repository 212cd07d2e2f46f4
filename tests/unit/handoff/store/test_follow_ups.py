"""Follow-up tasks, as scheduled when important and severe cases are resolved."""

from datetime import timedelta

import sqlalchemy as sa

from handoff.clock import FakeClock
from handoff.models import FollowUpRow
from handoff.store import CaseStore
from tests.unit.handoff.store.support import T0, case_fields


def test_follow_ups_are_listed_by_due_date_and_done_ones_only_on_request(store: CaseStore, clock: FakeClock) -> None:
    first = store.create_case(**case_fields())
    second = store.create_case(**case_fields(severity="important", priority=60))
    store.resolve(second.id, "agent:alice")
    clock.advance(60)
    store.resolve(first.id, "agent:alice", follow_up_after=timedelta(hours=1))
    assert [t.case_id for t in store.follow_ups()] == [first.id, second.id]
    with store.engine.begin() as connection:
        connection.execute(sa.update(FollowUpRow).where(FollowUpRow.case_id == first.id).values(done_at=T0))
    assert [t.case_id for t in store.follow_ups()] == [second.id]
    assert [(t.case_id, t.done_at) for t in store.follow_ups(open_only=False)] == [(first.id, T0), (second.id, None)]
