"""Customer channels beyond Rasa's built-in REST and socket.io (Telegram comes here)."""
