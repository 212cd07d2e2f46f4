"""Rasa-side code: custom NLU components, training, evaluation and the launcher."""
