"""rasa_sdk actions: thin adapters from the tracker to the shop's services."""
