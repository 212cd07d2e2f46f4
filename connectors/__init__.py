"""Customer channels beyond Rasa's built-in REST: `socketio` (the web widget) and `telegram`
(python-telegram-bot, webhook mode; docs/telegram.md). Each is a Rasa input channel named by its
class path in credentials.yml."""
