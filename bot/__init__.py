"""Rasa-side code that Rasa loads at runtime: custom NLU components, the event broker and patches."""
