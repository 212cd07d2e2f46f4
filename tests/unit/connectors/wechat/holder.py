"""A Rasa process holding a WeChat message, as far as its lease goes: a separate Python process
that takes the message through the real `State` against a real Redis, prints "held" (or
"refused"), and renews the lease until it is killed. The tests SIGKILL it, as an OOM kill would,
and check that WeChat's next try of the message is then run by someone else.

`python -m tests.unit.connectors.wechat.holder REDIS_URL APPID MESSAGE_KEY [LEASE_S]`
"""

from __future__ import annotations

import asyncio
import os
import select
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, Optional

from connectors.redis_link import RedisLink
from connectors.wechat.state import LEASE_S, RENEW_S, State

ROOT = Path(__file__).resolve().parents[4]


class Holder:
    """`with Holder(url, appid, key) as holder:` the lease is held by a live process until
    `holder.kill()` (SIGKILL); leaving the block kills it if it is still alive."""

    def __init__(self, redis_url: str, appid: str, message_key: str, lease_s: float = LEASE_S,
                 python: str = sys.executable) -> None:
        self.args = [python, "-m", "tests.unit.connectors.wechat.holder", redis_url, appid, message_key, str(lease_s)]
        self.proc: Optional[subprocess.Popen[str]] = None

    def __enter__(self) -> Holder:
        self.proc = subprocess.Popen(self.args, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], 60)
        said = self.proc.stdout.readline().strip() if ready else "(nothing within 60 s)"
        if said != "held":
            self.kill()
            raise AssertionError(f"the holder process did not take the message: {said}")
        return self

    def kill(self) -> None:
        """SIGKILL: no `finally`, no "done", the lease is simply no longer renewed."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def __exit__(self, *_: Any) -> None:
        self.kill()


async def hold(redis_url: str, appid: str, message_key: str, lease_s: float) -> None:
    # renewed more often than in production: a test machine short of CPU must not let it lapse
    state = State(RedisLink(redis_url), appid, lease_s=lease_s, renew_s=min(RENEW_S, lease_s / 6))
    lease = await state.take(message_key)
    print("held" if lease is not None else "refused", flush=True)
    await asyncio.Event().wait()  # renewing in the background until killed


if __name__ == "__main__":
    asyncio.run(hold(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]) if len(sys.argv) > 4 else LEASE_S))
