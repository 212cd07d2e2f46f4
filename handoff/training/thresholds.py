"""When a message needs a person's review, defined once (docs/training.md, "Why a message is in
the inbox"). The numbers are the issue's: they catch the messages the held-out evaluation says
the NLU gets wrong most often, without burying trainers in confident, correct answers.
"""

from __future__ import annotations

# --- reasons ------------------------------------------------------------------------------------
LOW_CONFIDENCE = 0.6  # intent confidence below this: the NLU was unsure
SMALL_MARGIN = 0.15  # top-1 minus top-2 intent confidence below this: it hesitated between two
LOW_RATING = 2  # a case rated at most this (1..5) by the customer
FALLBACK_INTENT = "nlu_fallback"  # what Rasa's FallbackClassifier answers (the bot then runs action_fallback)
REQUEST_HUMAN = "request_human"  # asking for a person says the bot failed at the message before

# In the order "sort=reason" shows them: an agent's correction is the strongest evidence that the
# bot was wrong, a low score the next; the NLU's own doubts come last.
REASONS: tuple[str, ...] = ("label_changed", "low_rating", "asked_for_person", "fallback", "low_confidence",
                            "small_margin")

# --- how much the inbox reads ----------------------------------------------------------------------
WINDOW_DAYS = 30  # messages of the last 30 days; older ones were either reviewed or no longer matter
MAX_CANDIDATES = 5_000  # archive turns per source read for one inbox (the newest first)
MAX_CASES = 1_000  # low-rated or relabelled cases read for one inbox (the newest first)

# --- grouping (handoff.training.similar) -------------------------------------------------------
# Cosine similarity of character 1-3-gram TF-IDF vectors from which a message joins a group's
# leader. Measured on the training data (`python -m handoff.training.similar`; docs/training.md,
# "Grouping"): at 0.6, 87% of the messages that join a leader carry its intent (79% at 0.5, 63% at
# 0.4), though the data holds deliberate look-alikes of different intents; a group is a proposal
# the trainer sees whole before a bulk label, so it leans towards being right over being large.
SIMILARITY = 0.6

# --- the API --------------------------------------------------------------------------------------
MAX_KEYS = 500  # keys per label or skip request; a whole page of groups fits
PAGE_DEFAULT = 50  # groups per inbox page
PAGE_MAX = 200

# --- which message a case or a request for a person points at ------------------------------------
# A case (low rating, relabelled) or a request for a person points at the customer's last message
# before it; pleasantries say nothing about what the bot misunderstood, so they are passed over.
SMALL_TALK: tuple[str, ...] = ("greet", "goodbye", "thank", "affirm", "deny")
