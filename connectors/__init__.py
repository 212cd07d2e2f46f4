"""Customer channels beyond Rasa's built-in REST: `socketio` (the web widget), `telegram`
(python-telegram-bot, webhook mode; docs/telegram.md) and `wechat` (an Official Account, on
wechatpy; docs/wechat.md). Each is a Rasa input channel named by its
class path in credentials.yml."""
