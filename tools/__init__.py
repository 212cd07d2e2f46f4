"""Commands a person or CI runs around the assistant: build, train, evaluate, start and stop it.

They sit on top of every room (they start the action server, Rasa and the handoff service, and
the launcher creates a demo agent in the case store), so they live in their own top layer that
nothing else imports; `bot/` stays what Rasa loads at runtime.
"""
