"""Agent accounts from the command line.

    python -m handoff.agents create alice --role agent [--teams general,billing] [--languages zh,en]
    python -m handoff.agents create tom --role trainer   # the trainers' inbox only (docs/training.md)
    python -m handoff.agents list
    python -m handoff.agents disable alice     # her token stops working at her next request
    python -m handoff.agents enable alice
    python -m handoff.agents rotate alice      # prints her new token; the old one stops at once

`create` and `rotate` print nothing but the token, so scripts can capture it; it is shown once and
only its hash is stored. Every API request (and an open live feed, within seconds) looks the
token up again, so disabling or rotating needs no restart. The database is DATABASE_URL
(default: SQLite under SHOP_VAR_DIR).
"""

from __future__ import annotations

import argparse
import sys
from typing import Optional, Sequence

from core.settings import load
from handoff.store import ROLES, AgentNotFound, CaseStore


def _names(raw: Optional[str]) -> Optional[list[str]]:
    if raw is None:
        return None
    names = [part.strip() for part in raw.split(",") if part.strip()]
    return names or None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m handoff.agents", description="Manage agent accounts.")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create an agent and print its token")
    create.add_argument("name")
    create.add_argument("--role", choices=ROLES, default="agent",
                        help="agent and supervisor work cases; a trainer reviews what the bot understood")
    create.add_argument("--teams", help="comma-separated, default: general")
    create.add_argument("--languages", help="comma-separated, default: zh,en")
    commands.add_parser("list", help="list the agents and whether they may sign in")
    for command, text in (("disable", "stop an agent's token working (at its next request)"),
                          ("enable", "let a disabled agent's token work again"),
                          ("rotate", "print a new token for the agent; the old one stops working at once")):
        commands.add_parser(command, help=text).add_argument("name")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)
    store = CaseStore(load().database_url)
    store.create_schema()
    try:
        if args.command == "create":
            _, token = store.create_agent(args.name, args.role, _names(args.teams), _names(args.languages))
            print(token)
        elif args.command == "rotate":
            print(store.rotate_token(args.name))
        elif args.command in ("disable", "enable"):
            agent = store.set_active(args.name, args.command == "enable")
            print(f"{agent.name}: {'active' if agent.active else 'disabled'}", file=sys.stderr)
        else:
            for agent in store.agents():
                print(f"{agent.id:>4}  {agent.name:<20} {agent.role:<10} {'active' if agent.active else 'disabled':<8}"
                      f" teams={','.join(agent.teams)} languages={','.join(agent.languages)}")
    except (ValueError, AgentNotFound) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
