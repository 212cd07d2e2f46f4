"""`make run`: starts every process of the assistant and keeps them running until Ctrl-C.

With DATABASE_URL set (e.g. postgresql+psycopg2://…) the cases live there instead of SQLite."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

from core.settings import load
from tools.stack import Stack
from tools.train import model_path


def demo_agent(database_url: str, var_dir: Path) -> str:
    """A supervisor to try the console with; its token is kept in var/ so each run shows the same."""
    from handoff.store import CaseStore

    token_file = var_dir / "demo_agent_token"
    store = CaseStore(database_url)
    store.create_schema()
    if token_file.exists() and store.agent_by_token(token_file.read_text().strip()) is not None:
        return token_file.read_text().strip()
    name = "demo" if store.agent_by_name("demo") is None else f"demo-{int(time.time())}"
    _, token = store.create_agent(name, "supervisor")
    token_file.write_text(token)
    return token


def main() -> int:
    settings = load()
    stack = Stack(model=Path(model_path()), rasa_port=settings.rasa_port, action_port=settings.action_port,
                  handoff_port=settings.handoff_port, redis_url=settings.redis_url,
                  var_dir=settings.var_dir)
    print("starting Redis, the action server, Rasa and the handoff service (about 30 s)…", flush=True)
    stack.start()
    token_file = settings.var_dir / "rasa_token"
    token_file.write_text(stack.auth_token)
    demo_token = demo_agent(settings.database_url, settings.var_dir)
    print(f"""
assistant is up:
  Rasa (REST + socket.io + HTTP API)  {stack.rasa_url}
     talk:  curl -s {stack.rasa_url}/webhooks/rest/webhook -d '{{"sender":"me","message":"订单 20251103887 到哪了"}}'
     API token (for /conversations/… and /model/parse): see {token_file}
  action server                         http://localhost:{settings.action_port}/health
  web chat widget (customers)           {stack.handoff_url}/widget/?rasa={stack.rasa_url}
  agent console (sign in with a token)  {stack.handoff_url}/console/
  handoff service (agent API)           {stack.handoff_url}   (OpenAPI: {stack.handoff_url}/openapi.json)
     demo supervisor token: {demo_token}
     try:  curl -s -H "Authorization: Bearer {demo_token}" {stack.handoff_url}/queue
     more agents:  python -m handoff.agents create NAME --role agent|supervisor
  Redis (lock store, event stream, queue) {settings.redis_url}
  database (cases)                      {settings.database_url.split('@')[-1]}
  logs                                  {settings.var_dir / 'logs'}
Ctrl-C stops everything.""", flush=True)
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping:
            for name, proc in stack.procs.items():
                if proc.poll() is not None:
                    print(f"{name} exited with code {proc.returncode}; stopping", file=sys.stderr)
                    stopping = True
            time.sleep(0.5)
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
