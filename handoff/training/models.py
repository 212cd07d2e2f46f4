"""The trainers' decisions about inbox messages (migration 0006): one row per distinct text,
labelled (written to a review file) or skipped. A decided text leaves the inbox for good, however
often customers write it again; the key is the text's hash after normalizing
(handoff.training.texts.text_key), so "Where is my parcel?" and "where is my parcel" are one.

In the handoff models' Base, like the archive's tables, so the one Alembic history creates it.
"""

from __future__ import annotations

import sqlalchemy as sa

from handoff.models import Base, UtcDateTime

DECISIONS = ("labelled", "skipped")


class ReviewRow(Base):  # type: ignore[misc, valid-type]
    __tablename__ = "training_reviews"
    __table_args__ = (sa.CheckConstraint("decision IN ('labelled', 'skipped')", name="decision"),)
    key = sa.Column(sa.String(64), primary_key=True)  # sha256 hex of the normalized text
    decision = sa.Column(sa.String(16), nullable=False)
    intent = sa.Column(sa.String(64))  # the label given (NULL when skipped)
    emotion = sa.Column(sa.String(16))
    severity = sa.Column(sa.String(16))
    by = sa.Column(sa.String(100), nullable=False)  # the trainer's (or supervisor's) name
    at = sa.Column(UtcDateTime, nullable=False)
    file = sa.Column(sa.String(255))  # the review file the label went to, relative to the repository
