"""`python -m connectors.telegram set-webhook|delete-webhook|info`: tells Telegram where the
channel's webhook is, with the same credentials section Rasa reads (docs/telegram.md)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any, Dict, List, Optional

from rasa.shared.exceptions import RasaException
from telegram import Bot
from telegram.error import BadRequest, NetworkError, TelegramError

from connectors.telegram.channel import ALLOWED_UPDATES
from connectors.telegram.client import TelegramClient
from connectors.telegram.credentials import SECTION, client_options, secret_token_error


def load_credentials(path: str) -> Dict[str, Any]:
    """The TelegramInput section of a credentials file, with ${ENV} references expanded as
    Rasa expands them."""
    from rasa.shared.utils.io import read_config_file

    section = (read_config_file(path) or {}).get(SECTION)
    if not isinstance(section, dict) or not section.get("access_token"):
        raise SystemExit(f"{path} has no `{SECTION}:` section with an access_token (docs/telegram.md)")
    return section


async def _set_webhook(section: Dict[str, Any], url: Optional[str], drop_pending: bool) -> Dict[str, Any]:
    url = url or section.get("webhook_url")
    secret = section.get("secret_token")
    if not url or not secret:
        raise SystemExit(f"{SECTION} needs webhook_url and secret_token to set the webhook")
    problem = secret_token_error(str(secret))
    if problem:
        raise SystemExit(problem)
    if not str(url).startswith("https://"):
        print(f"warning: Telegram only delivers to https:// URLs; {url} will be refused by api.telegram.org",
              file=sys.stderr)
    if not str(url).rstrip("/").endswith("/webhooks/telegram/webhook"):
        print(f"warning: Rasa listens at .../webhooks/telegram/webhook; {url} looks different", file=sys.stderr)
    client = TelegramClient(**client_options(section))
    try:
        bot = await client.ready()
        await bot.set_webhook(str(url), secret_token=str(secret), allowed_updates=list(ALLOWED_UPDATES),
                              drop_pending_updates=True if drop_pending else None)
        return await _info(bot)
    finally:
        await client.close()


async def _delete_webhook(section: Dict[str, Any], drop_pending: bool) -> Dict[str, Any]:
    client = TelegramClient(**client_options(section))
    try:
        bot = await client.ready()
        await bot.delete_webhook(drop_pending_updates=True if drop_pending else None)
        return await _info(bot)
    finally:
        await client.close()


async def _info(bot: Bot) -> Dict[str, Any]:
    info = await bot.get_webhook_info()
    return {"bot": f"@{bot.username}", "url": info.url, "pending_update_count": info.pending_update_count,
            "allowed_updates": list(info.allowed_updates or []), "last_error_message": info.last_error_message,
            "max_connections": info.max_connections}


async def _show_info(section: Dict[str, Any]) -> Dict[str, Any]:
    client = TelegramClient(**client_options(section))
    try:
        return await _info(await client.ready())
    finally:
        await client.close()


def main(argv: Optional[List[str]] = None) -> int:
    """`python -m connectors.telegram set-webhook|delete-webhook|info --credentials credentials.yml`."""
    parser = argparse.ArgumentParser(prog="python -m connectors.telegram",
                                     description="Register the Telegram webhook of the shop assistant.")
    parser.add_argument("command", choices=("set-webhook", "delete-webhook", "info"))
    parser.add_argument("--credentials", default="credentials.yml", help="file with the TelegramInput section")
    parser.add_argument("--url", help="webhook URL (default: webhook_url from the credentials)")
    parser.add_argument("--drop-pending-updates", action="store_true",
                        help="discard the updates Telegram holds for the bot")
    args = parser.parse_args(argv)
    section = load_credentials(args.credentials)
    try:
        if args.command == "set-webhook":
            result = asyncio.run(_set_webhook(section, args.url, args.drop_pending_updates))
        elif args.command == "delete-webhook":
            result = asyncio.run(_delete_webhook(section, args.drop_pending_updates))
        else:
            result = asyncio.run(_show_info(section))
    except (TelegramError, RasaException) as exc:
        if isinstance(exc, NetworkError) and not isinstance(exc, BadRequest):  # BadRequest is Telegram saying no
            where = section.get("base_url") or "api.telegram.org"
            print(f"error: cannot reach the Bot API at {where} ({exc}); set `proxy` in {SECTION} if this "
                  "server needs one", file=sys.stderr)
        else:
            print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0
