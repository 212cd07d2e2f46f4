"""A Rasa process holding a WeChat message, as a separate Python process the tests SIGKILL, as
an OOM kill would, to check that the message is then run by someone else.

`Holder`: as far as its lease goes. It takes the message through the real `State` against a real
Redis, prints "held" (or "refused"), and renews the lease until it is killed; WeChat's next try
of the message must then run it.
`python -m tests.unit.connectors.wechat.holder REDIS_URL APPID MESSAGE_KEY [LEASE_S]`

`Answered`: a whole channel (`WeChatInput`) that got WeChat's POST, whose Rasa is still working
when the passive reply's window (`REPLY_WAIT_S` here) is over: it answers WeChat "success",
prints "200 success", and renews the lease until it is killed. WeChat will not try again: the
message must be run from its unfinished record (the sweeper).
`python -m tests.unit.connectors.wechat.holder --answered REDIS_URL API_BASE_URL XML [LEASE_S]`
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
from urllib.parse import parse_qs

from rasa.core.channels.channel import UserMessage

from connectors.redis_link import RedisLink
from connectors.wechat.channel import WeChatInput
from connectors.wechat.state import LEASE_S, RENEW_S, State
from tests.wechat_stub import AES_KEY, APPID, SECRET, TOKEN, WeChatServer

ROOT = Path(__file__).resolve().parents[4]
REPLY_WAIT_S = 0.2  # the passive reply's window, short: the holder must have answered WeChat quickly


class Holder:
    """`with Holder(url, appid, key) as holder:` the lease is held by a live process until
    `holder.kill()` (SIGKILL); leaving the block kills it if it is still alive."""

    def __init__(self, redis_url: str, appid: str, message_key: str, lease_s: float = LEASE_S,
                 python: str = sys.executable) -> None:
        self.args = [python, "-m", "tests.unit.connectors.wechat.holder", redis_url, appid, message_key, str(lease_s)]
        self.expected = "held"
        self.proc: Optional[subprocess.Popen[str]] = None

    def __enter__(self) -> Holder:
        self.proc = subprocess.Popen(self.args, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], 60)
        said = self.proc.stdout.readline().strip() if ready else "(nothing within 60 s)"
        if said != self.expected:
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


class Answered(Holder):
    """`with Answered(url, api_base_url, xml) as holder:` a live process whose channel took the
    message (recording it as unfinished) and answered WeChat "success" while its Rasa works."""

    def __init__(self, redis_url: str, api_base_url: str, xml: str, lease_s: float = LEASE_S,
                 python: str = sys.executable) -> None:
        super().__init__(redis_url, APPID, "", lease_s, python)
        self.args = [python, "-m", "tests.unit.connectors.wechat.holder", "--answered", redis_url, api_base_url, xml,
                     str(lease_s)]
        self.expected = "200 success"


async def hold(redis_url: str, appid: str, message_key: str, lease_s: float) -> None:
    # renewed more often than in production: a test machine short of CPU must not let it lapse
    state = State(RedisLink(redis_url), appid, lease_s=lease_s, renew_s=min(RENEW_S, lease_s / 6))
    lease = await state.take(message_key)
    print("held" if lease is not None else "refused", flush=True)
    await asyncio.Event().wait()  # renewing in the background until killed


async def still_working(_: UserMessage) -> None:
    """Rasa's `on_new_message`, working on the message until the process is killed."""
    await asyncio.Event().wait()


async def answer(redis_url: str, api_base_url: str, xml: str, lease_s: float) -> None:
    channel = WeChatInput(TOKEN, APPID, SECRET, encoding_aes_key=AES_KEY, api_base_url=api_base_url,
                          redis_url=redis_url, reply_wait_s=REPLY_WAIT_S)
    channel.state.lease_s, channel.state.renew_s = lease_s, min(RENEW_S, lease_s / 6)
    wechat = WeChatServer()
    query, body = wechat.request(xml)
    status, reply = await channel.receive({k: v[-1] for k, v in parse_qs(query).items()}, body, still_working)
    print(status, wechat.reply_text(reply.encode("utf-8"), query) or "success", flush=True)
    await asyncio.Event().wait()  # renewing in the background until killed


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[0] == "--answered":
        asyncio.run(answer(args[1], args[2], args[3], float(args[4]) if len(args) > 4 else LEASE_S))
    else:
        asyncio.run(hold(args[0], args[1], args[2], float(args[3]) if len(args) > 3 else LEASE_S))
