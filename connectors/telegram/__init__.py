"""Telegram as a Rasa channel, on python-telegram-bot 22 in webhook mode.

Rasa's own `telegram` channel is built on aiogram 2 and asks Telegram for `getMe` on every
update; this one is a plug-in in the errbot sense: the credentials file names the class, the
channel owns its webhook route and its output, and nothing else in the project knows about
Telegram. Configure it in credentials.yml:

    connectors.telegram.TelegramInput:
      access_token: ${TELEGRAM_TOKEN}        # from @BotFather
      verify: shop_bot                       # the bot's username: a token for another bot is refused
      webhook_url: https://shop.example.com/webhooks/telegram/webhook
      secret_token: ${TELEGRAM_SECRET}       # Telegram sends it back in X-Telegram-Bot-Api-Secret-Token
      # base_url, base_file_url: another Bot API server (a local one, or the tests' stand-in)
      # redis_url: defaults to REDIS_URL; deduplication and long button payloads live there
      # proxy: http://proxy:3128 for a network that cannot reach api.telegram.org directly

Register the webhook with `python -m connectors.telegram set-webhook --credentials credentials.yml`
(`delete-webhook`, `info`; docs/telegram.md).

The modules, one job each: `text` (splitting replies, commands), `credentials` (the section and
the secret), `state` (deduplication and long buttons, in Redis and in memory), `client` (the Bot
API), `output` and `channel` (Rasa's output and input channels), `cli` (the command line).
"""

from connectors.telegram.channel import TelegramInput
from connectors.telegram.credentials import SECTION
from connectors.telegram.output import TelegramOutput

__all__ = ["SECTION", "TelegramInput", "TelegramOutput"]
