"""`make run`: starts every process of the assistant under supervision and keeps them running
until Ctrl-C.

A child that dies is restarted by supervisord (docs/processes.md); the launcher only tells the
person at the terminal, in one line, and keeps going. Ctrl-C (or SIGTERM) stops every child and
supervisord. With DATABASE_URL set (e.g. postgresql+psycopg2://…) the cases live there instead
of SQLite.

Nothing is handed out that was not asked for: Rasa's API token stays in var/secrets/rasa_token
(0600; RASA_TOKEN overrides it) and is only pointed at, and a demo supervisor (whose token opens
every case) is made only with DEMO_SUPERVISOR=1; otherwise the start-up text says how to get one."""

from __future__ import annotations

import json
import signal
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Optional

from core.secrets import private_file, secrets_dir
from core.settings import Settings, load
from tools.stack import Stack
from tools.train import model_path

READY_TIMEOUT_S = 120


def demo_agent(database_url: str, var_dir: Path) -> str:
    """A supervisor to try the console with (DEMO_SUPERVISOR=1 only); its token is kept in a 0600
    file in var/ so each run shows the same."""
    from handoff.store import CaseStore

    token_file = var_dir / "demo_agent_token"
    store = CaseStore(database_url)
    store.create_schema()
    if token_file.exists():
        kept = token_file.read_text().strip()
        if store.agent_by_token(kept) is not None:
            private_file(token_file, kept)  # a file from before 0600 files is narrowed
            return kept
    name = "demo" if store.agent_by_name("demo") is None else f"demo-{int(time.time())}"
    _, token = store.create_agent(name, "supervisor")
    private_file(token_file, token)
    return token


def agent_lines(settings: Settings, handoff_url: str) -> str:
    """The start-up text about agents: the demo supervisor when asked for, else how to get one."""
    if not settings.demo_supervisor:
        return """     no agent yet: create one and sign in with the token it prints
        .venv/bin/python -m handoff.agents create NAME --role supervisor   (or: make agent NAME=… ROLE=supervisor)
        or start with a demo supervisor:  DEMO_SUPERVISOR=1 make run"""
    token = demo_agent(settings.database_url, settings.var_dir)
    return f"""     demo supervisor token (DEMO_SUPERVISOR=1; kept in {settings.var_dir / 'demo_agent_token'}): {token}
     try:  curl -s -H "Authorization: Bearer {token}" {handoff_url}/queue
     more agents:  .venv/bin/python -m handoff.agents create NAME --role agent|supervisor"""


def token_hint(settings: Settings) -> str:
    return "from RASA_TOKEN" if settings.rasa_token else f"in {secrets_dir(settings) / 'rasa_token'} (0600)"


def readiness(url: str) -> Optional[dict[str, Any]]:
    """The handoff service's /ready body (200 or 503 alike), None while it does not answer."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return dict(json.loads(response.read()))
    except urllib.error.HTTPError as exc:
        return dict(json.loads(exc.read() or b"{}")) if exc.code == 503 else None
    except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
        return None


def parts_line(body: Optional[dict[str, Any]]) -> str:
    if not body:
        return "handoff service not answering"
    return "  ".join(f"{name} {'up' if part.get('up') else 'DOWN'}" for name, part in body.get("parts", {}).items())


def wait_ready(url: str, timeout: float) -> Optional[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    body = readiness(url)
    while not (body and body.get("ready")) and time.monotonic() < deadline:
        time.sleep(1)
        body = readiness(url)
    return body


def watch(stack: Stack, previous: dict[str, tuple[str, int]]) -> dict[str, tuple[str, int]]:
    """One line whenever a child changes state or pid: exited, restarted, given up."""
    if stack.supervisor is None:
        return previous
    now = {name: (str(i["statename"]), int(i["pid"])) for name, i in stack.supervisor.all_info().items()}
    for name, (state, pid) in now.items():
        before = previous.get(name)
        if before is None or before == (state, pid):
            continue
        if pid and before[1] and pid != before[1]:
            print(f"{name} was restarted (pid {before[1]} → {pid}); see {stack.logs / name}.log", flush=True)
        elif state in ("BACKOFF", "EXITED") and before[0] != state:
            print(f"{name} exited; supervisord restarts it (log: {stack.logs / name}.log)", flush=True)
        elif state == "FATAL":
            print(f"{name} keeps exiting and was given up; see {stack.logs / name}.log. Fix it, then "
                  f"restart `make run`", file=sys.stderr, flush=True)
    return now


def main() -> int:
    settings = load()
    stack = Stack(model=Path(model_path()), rasa_port=settings.rasa_port, action_port=settings.action_port,
                  handoff_port=settings.handoff_port, redis_url=settings.redis_url,
                  var_dir=settings.var_dir)
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        if stopping:  # a second Ctrl-C while starting: leave the rest to stack.stop()
            return
        stopping = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    print(f"starting Redis, the action server, Rasa ({stack.rasa_workers} workers) and the handoff service "
          f"({stack.handoff_workers} workers) under supervisord (about a minute); logs in {stack.logs}", flush=True)
    try:
        stack.start()
        (settings.var_dir / "rasa_token").unlink(missing_ok=True)  # an old run's world-readable copy
        agents = agent_lines(settings, stack.handoff_url)
        body = wait_ready(f"{stack.handoff_url}/ready", READY_TIMEOUT_S)
        state = "ready" if body and body.get("ready") else "NOT ready"
        print(f"""
assistant is {state}: {parts_line(body)}   ({stack.handoff_url}/ready)
  Rasa (REST + socket.io + HTTP API)  {stack.rasa_url}   (listens on {settings.rasa_host} only)
     talk:  curl -s {stack.rasa_url}/webhooks/rest/webhook -d '{{"sender":"me","message":"订单 20251103887 到哪了"}}'
     API token (for /conversations/… and /model/parse): {token_hint(settings)}
  action server (only Rasa calls it)    {stack.action_base}/health
  web chat widget (customers)           {stack.handoff_url}/widget/?rasa={stack.rasa_url}
  agent console (sign in with a token)  {stack.handoff_url}/console/
  handoff service (agent API)           {stack.handoff_url}   (OpenAPI: {stack.handoff_url}/openapi.json)
{agents}
  Redis (lock store, event stream, queue) {settings.redis_url}
  database (cases)                      {settings.database_url.split('@')[-1]}
  logs (supervisord.log: restarts)      {stack.logs}
What to put on the internet (only nginx's public port) and what to keep internal: README,
"What to expose". A process that dies is restarted by itself. Ctrl-C stops everything.""", flush=True)
        seen: dict[str, tuple[str, int]] = watch(stack, {})
        while True:
            time.sleep(1)
            seen = watch(stack, seen)
    except KeyboardInterrupt:
        print("\nstopping…", flush=True)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # stopping takes a few seconds: let it finish
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
