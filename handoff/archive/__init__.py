"""The conversation archive: every conversation the bot had, in SQL, for the trainers' inbox
and the statistics. Fed off the bot's hot path by the handoff service, from its own consumer
group on Rasa's event stream (handoff/api/tasks.py); see docs/handoff.md, "Conversation archive".

- `events.py`: what a tracker event becomes (masked text, intent, emotion, severity, model id)
- `models.py`: the tables (in the handoff models' Base; migration 0002)
- `store.py`: `Archive`: `record(event, key)`, `sweep()` for retention, and the reads
- `views.py`: frozen snapshots handed to readers
"""

from __future__ import annotations

from handoff.archive.events import archive_key
from handoff.archive.store import Archive
from handoff.archive.views import BotEventView, ConversationHistory, ConversationView, TurnView

__all__ = ["Archive", "BotEventView", "ConversationHistory", "ConversationView", "TurnView", "archive_key"]
