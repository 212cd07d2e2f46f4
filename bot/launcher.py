"""`make run`: starts every process of the assistant and keeps them running until Ctrl-C."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

from bot.settings import load
from bot.stack import Stack
from bot.train import model_path


def main() -> int:
    settings = load()
    stack = Stack(model=Path(model_path()), rasa_port=settings.rasa_port, action_port=settings.action_port,
                  redis_url=settings.redis_url, var_dir=settings.var_dir)
    print("starting Redis, the action server and Rasa (about 30 s)…", flush=True)
    stack.start()
    token_file = settings.var_dir / "rasa_token"
    token_file.write_text(stack.auth_token)
    print(f"""
assistant is up:
  Rasa (REST + socket.io + HTTP API)  {stack.rasa_url}
     talk:  curl -s {stack.rasa_url}/webhooks/rest/webhook -d '{{"sender":"me","message":"订单 20251103887 到哪了"}}'
     API token (for /conversations/… and /model/parse): see {token_file}
  action server                         http://localhost:{settings.action_port}/health
  Redis (lock store)                    {settings.redis_url}
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
