"""A message is decided once: the first label or skip wins, the loser learns which keys it lost,
and a decision whose file could not be written is taken back."""

from __future__ import annotations

import threading

from handoff.training import reviews
from handoff.training.labels import Label
from handoff.training.texts import text_key
from tests.unit.handoff.training.support import T0, World

A, B, C = text_key("a"), text_key("b"), text_key("c")


def test_the_first_decision_stands(world: World) -> None:
    engine = world.store.engine
    label = Label("complain_delivery", "anger", "important")
    assert reviews.record(engine, [A, B, A], by="tom", at=T0, label=label, file="nlu_data/review/x.yml") == [A, B]
    assert reviews.record(engine, [B, C], by="ann", at=T0) == [C]  # B was labelled by tom already
    assert reviews.decided(engine, [A, B, C, text_key("d")]) == {A, B, C}
    with engine.connect() as connection:
        rows = {r.key: r for r in connection.execute(reviews.sa.select(reviews.ReviewRow.__table__))}
    assert (rows[A].decision, rows[A].intent, rows[A].emotion, rows[A].severity, rows[A].by) == \
        ("labelled", "complain_delivery", "anger", "important", "tom")
    assert (rows[C].decision, rows[C].intent, rows[C].file, rows[C].by) == ("skipped", None, None, "ann")


def test_two_people_deciding_at_once_split_the_keys_between_them(world: World) -> None:
    keys = [text_key(str(n)) for n in range(40)]
    won: dict[str, list[str]] = {}

    def decide(name: str) -> None:
        won[name] = reviews.record(world.store.engine, keys, by=name, at=T0)

    threads = [threading.Thread(target=decide, args=(name,)) for name in ("tom", "ann")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won["tom"] + won["ann"]) == sorted(keys)


def test_a_decision_is_taken_back_only_for_its_owner(world: World) -> None:
    engine = world.store.engine
    reviews.record(engine, [A], by="tom", at=T0)
    reviews.record(engine, [B], by="ann", at=T0)
    reviews.forget(engine, [A, B], by="tom")
    assert reviews.decided(engine, [A, B]) == {B}
