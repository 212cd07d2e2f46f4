"""Agent accounts from the command line.

    python -m handoff.agents create alice --role agent [--teams general,billing] [--languages zh,en]
    python -m handoff.agents list

`create` prints nothing but the new bearer token, so scripts can capture it; it is shown once and
only its hash is stored. The database is DATABASE_URL (default: SQLite under SHOP_VAR_DIR).
"""

from __future__ import annotations

import argparse
import sys
from typing import Optional, Sequence

from core.settings import load
from handoff.store import ROLES, CaseStore


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
    create.add_argument("--role", choices=ROLES, default="agent")
    create.add_argument("--teams", help="comma-separated, default: general")
    create.add_argument("--languages", help="comma-separated, default: zh,en")
    commands.add_parser("list", help="list the agents")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)
    store = CaseStore(load().database_url)
    store.create_schema()
    if args.command == "create":
        try:
            _, token = store.create_agent(args.name, args.role, _names(args.teams), _names(args.languages))
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        print(token)
        return 0
    for agent in store.agents():
        state = "" if agent.active else "  (inactive)"
        print(f"{agent.id:>4}  {agent.name:<20} {agent.role:<10} teams={','.join(agent.teams)} "
              f"languages={','.join(agent.languages)}{state}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
