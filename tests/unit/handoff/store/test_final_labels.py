"""The agent's final labels on resolve: kept next to the bot's, with who set them; only known
values; a resolve that does not say leaves them as they were."""

from __future__ import annotations

from typing import Any

import pytest

from handoff.store import CaseStore
from tests.unit.handoff.store.support import case_fields


def test_resolve_keeps_the_agents_labels_next_to_the_bots(store: CaseStore) -> None:
    case = store.create_case(**case_fields())
    assert (case.final_category, case.final_severity, case.labelled_by) == (None, None, None)
    done = store.resolve(case.id, "agent:alice", final_category="complain_delivery", final_severity="important",
                         labelled_by="alice")
    assert (done.final_category, done.final_severity, done.labelled_by) == ("complain_delivery", "important", "alice")
    assert (done.category, done.severity) == ("complain_refund", "severe")  # the bot's stay for the statistics
    again = store.get(case.id)
    assert again.to_dict()["final_severity"] == "important" and again.to_dict()["labelled_by"] == "alice"


def test_a_resolve_that_does_not_say_leaves_the_labels(store: CaseStore) -> None:
    plain = store.create_case(**case_fields())
    assert store.resolve(plain.id, "agent:alice", labelled_by="alice").labelled_by is None
    labelled = store.create_case(**case_fields(conversation_id="conv-2"))
    store.resolve(labelled.id, "agent:alice", final_severity="general", labelled_by="alice")
    store.transition(labelled.id, "reopened", "customer")
    kept = store.resolve(labelled.id, "agent:bob", labelled_by="bob")
    assert (kept.final_category, kept.final_severity, kept.labelled_by) == (None, "general", "alice")


@pytest.mark.parametrize("labels", [
    {"final_category": "complain_weather"}, {"final_severity": "catastrophic"}, {"final_severity": ""},
    {"final_category": "Complain_Refund"},
])
def test_an_unknown_label_is_refused_and_nothing_changes(store: CaseStore, labels: dict[str, Any]) -> None:
    case = store.create_case(**case_fields())
    with pytest.raises(ValueError, match="must be one of"):
        store.resolve(case.id, "agent:alice", labelled_by="alice", **labels)
    after = store.get(case.id)
    assert (after.state, after.resolved_at, after.final_category, after.final_severity) == (
        "received", None, None, None)


def test_a_label_without_its_author_is_refused(store: CaseStore) -> None:
    case = store.create_case(**case_fields())
    with pytest.raises(ValueError, match="labelled_by"):
        store.resolve(case.id, "agent:alice", final_severity="general")
    assert store.get(case.id).resolved_at is None
