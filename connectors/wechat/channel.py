"""Rasa's input channel for a WeChat Official Account (公众号): the URL WeChat posts messages to.

WeChat signs every call (`signature` over the account's Token, a timestamp and a nonce), in safe
mode encrypts the message (AES, `encrypt_type=aes`, `msg_signature`), waits 5 seconds for the
passive reply and otherwise sends the message again, three times, with the same MsgId. So: the
signature is checked before anything is parsed; each MsgId is taken with a lease that its process
renews while it works and that becomes "done" once Rasa has handled it (`state.State`): a retry
gets the same passive reply (the first one did not arrive), or waits while a live process holds
the message, or runs it when its holder died (the lease lapsed); and Rasa gets `reply_wait_s`
(3.5 s) to answer; what is ready then is the passive reply, anything later goes through the
customer-service message API (客服消息).

A message WeChat will not send again (it was answered "success", or it was the last try) would
die with its process: so each message for Rasa is recorded as unfinished until done, and every
process's sweeper (`sweeper.Sweeper`, started with the server) runs those whose process died.

The conversation id is namespaced, `wechat:<openid>` (core.channels); `get_output_channel` sends
through the customer-service API, so an agent's reply posted to Rasa with `output_channel=latest`
reaches the customer, within WeChat's 48-hour window (core/reach.py).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

from connectors.wechat.client import WeChatApi
from connectors.wechat.credentials import problems
from connectors.wechat.inbound import Inbound
from connectors.wechat.output import WeChatOutput
from connectors.wechat.state import Lease, RedisLink, State
from connectors.wechat.sweeper import Sweeper
from connectors.wechat.text import picked, split_text
from core import settings
from core.channels import conversation_id

logger = logging.getLogger(__name__)

MAX_BODY = 64 * 1024  # a WeChat message is a few KB of XML; more is not WeChat
# WeChat gives up on the passive reply 5 s after it sent the message. The 1.5 s left cover the
# network, reading and decrypting the request, and an event loop that is busy (another message's
# NLU runs on it) when the wait ends: with 4.0 s, a rehearsal on a loaded 2-core machine answered
# in 5.02 s.
REPLY_WAIT_S = 3.5
# How often a retry looks again at a message another process holds: its lease lapses within
# state.LEASE_S if that process died, and then this retry runs the message itself.
HOLDER_POLL_S = 0.2
GREETING = "你好"  # a new follower: the dialogue starts as if they had said hello (Telegram's /start too)
TEXT_ONLY = ("目前只能处理文字消息，请用文字描述您的问题。\n"
             "Sorry, I can only read text messages for now; please type your question.")
NOT_TEXT = ("image", "voice", "video", "shortvideo", "location", "link", "file")
SUBSCRIBE = ("subscribe", "subscribe_scan")
Handler = Callable[[UserMessage], Awaitable[Any]]


class WeChatInput(InputChannel):
    """Receives WeChat messages at GET/POST /webhooks/wechat/webhook."""

    @classmethod
    def name(cls) -> str:
        return "wechat"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        credentials = dict(credentials or {})
        if not credentials:
            cls.raise_missing_credentials_exception()
        found = problems(credentials)
        if found:
            raise RasaException("; ".join(found))
        return cls(token=str(credentials["token"]), appid=str(credentials["appid"]),
                   secret=str(credentials["secret"]), encoding_aes_key=credentials.get("encoding_aes_key"),
                   api_base_url=credentials.get("api_base_url"), redis_url=credentials.get("redis_url"),
                   reply_wait_s=float(credentials.get("reply_wait_s") or REPLY_WAIT_S))

    def __init__(self, token: str, appid: str, secret: str, encoding_aes_key: Optional[str] = None,
                 api_base_url: Optional[str] = None, redis_url: Optional[str] = None,
                 reply_wait_s: float = REPLY_WAIT_S) -> None:
        self.token = token
        self.appid = appid
        self.crypto = WeChatCrypto(token, str(encoding_aes_key), appid) if encoding_aes_key else None
        url = redis_url if redis_url is not None else settings.load().redis_url
        self.api = WeChatApi(appid, secret, api_base_url, url)
        self.redis = RedisLink(url, "WeChat channel")
        self.state = State(self.redis, appid)
        self.reply_wait_s = reply_wait_s
        self._tasks: set[asyncio.Task[Any]] = set()
        self._sweeper: Optional[Sweeper] = None

    def get_output_channel(self) -> WeChatOutput:
        return WeChatOutput(self.api, self.state)

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        wechat_webhook = Blueprint("wechat_webhook", __name__)

        @wechat_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @wechat_webhook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            """The admin console's check of the URL: echo `echostr` when the signature is ours."""
            if not self.signed(request.args):
                return response.text("forbidden", status=403)
            return response.text(str(request.args.get("echostr") or ""))

        @wechat_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            status, body = await self.receive(request.args, request.body or b"", on_new_message)
            return response.text(body, status=status, content_type="application/xml" if body.startswith("<")
                                 else "text/plain")

        @wechat_webhook.listener("after_server_start")
        async def start(*_: Any) -> None:
            self.start(on_new_message)

        @wechat_webhook.listener("before_server_stop")
        async def finish(*_: Any) -> None:
            await self.stop()

        return wechat_webhook

    def sweeper(self, on_new_message: Handler) -> Sweeper:
        """The sweeper of this process's unfinished messages, running them through `on_new_message`."""
        async def run(inbound: Inbound, lease: Lease) -> None:
            await self.rerun(inbound, lease, on_new_message)
        return Sweeper(self.state, run)

    def start(self, on_new_message: Handler) -> None:
        """Starts this process's sweeper (with Redis: without it, nothing outlives a process)."""
        if self.redis.url and self._sweeper is None:
            self._sweeper = self.sweeper(on_new_message)
            self._sweeper.start()

    async def stop(self) -> None:
        if self._sweeper is not None:
            await self._sweeper.stop()
            self._sweeper = None
        await self.drain(timeout=10)
        await self.redis.close()

    def signed(self, args: Any) -> bool:
        """WeChat's signature over the Token, `timestamp` and `nonce` (wechatpy's check)."""
        signature, timestamp, nonce = (args.get(name) for name in ("signature", "timestamp", "nonce"))
        if not signature or not timestamp or not nonce:
            return False
        try:
            check_signature(self.token, signature, timestamp, nonce)
        except InvalidSignatureException:
            return False
        return True

    async def receive(self, args: Any, body: bytes, on_new_message: Handler) -> tuple[int, str]:
        """Checks, decrypts, parses and deduplicates one POST and answers it: 403 for a wrong
        signature, 413 for a body no message needs, 400 for what is not a WeChat message,
        200 with the passive reply (XML) or "success" (nothing to say now) otherwise."""
        if not self.signed(args):
            logger.warning("WeChat channel: POST without a valid signature refused")
            return 403, "forbidden: wrong signature"
        if len(body) > MAX_BODY:
            return 413, f"payload too large: a WeChat message is at most {MAX_BODY} bytes here"
        encrypted = args.get("encrypt_type") == "aes"
        nonce, timestamp = str(args.get("nonce")), str(args.get("timestamp"))
        try:
            if encrypted:
                if self.crypto is None:
                    return 400, "safe mode message, but no encoding_aes_key is configured"
                xml = self.crypto.decrypt_message(body, args.get("msg_signature") or "", timestamp, nonce)
            else:
                xml = body.decode("utf-8")
            message = parse_message(xml)
        except InvalidSignatureException:
            return 403, "forbidden: wrong msg_signature"
        except Exception as exc:  # wechatpy's crypto and xmltodict raise whatever a malformed body makes them raise
            return 400, f"not a WeChat message: {type(exc).__name__}"
        if message is None or not getattr(message, "source", None):
            return 400, "not a WeChat message"
        text = await self.reply_to(message, on_new_message)
        if not text:
            return 200, "success"
        reply = TextReply(content=text, message=message).render()
        return 200, self.crypto.encrypt_message(reply, nonce, timestamp) if encrypted and self.crypto else reply

    async def reply_to(self, message: Any, on_new_message: Handler) -> Optional[str]:
        """The passive reply to one message, None for none. Within `reply_wait_s` in all: the
        time a retry waits for another process's answer is taken from Rasa's."""
        openid, kind = str(message.source), str(message.type)
        event = str(getattr(message, "event", "") or "")
        if kind == "event" and event == "unsubscribe":
            return None
        key = str(message.id) if getattr(message, "id", None) else f"{openid}:{message.time}:{event or kind}"
        until = asyncio.get_running_loop().time() + self.reply_wait_s
        lease, again = await self._take(key, until)
        if lease is None:
            logger.debug("WeChat channel: message %s delivered again; handled once", key)
            return again
        pending: List[asyncio.Task[Any]] = []
        try:
            passive = await self._answer(message, key, lease, on_new_message, until, pending)
            if passive:
                await self.state.remember_reply(key, passive)
            return passive
        finally:
            self._spawn(self._settle(lease, pending))

    async def _take(self, key: str, until: float) -> tuple[Optional[Lease], Optional[str]]:
        """The lease on a message, or (None, the passive reply to repeat, None for "success") for a
        retry. A retry that finds the message held by another process waits (until `until`) for
        its passive reply, its "done" or its lease to lapse: answering "success" at once would
        end WeChat's tries, and the message would be lost if that process had just died."""
        loop = asyncio.get_running_loop()
        while True:
            lease = await self.state.take(key)
            if lease is not None:
                return lease, None
            again = await self.state.reply_for(key)
            left = until - loop.time()
            if again is not None or await self.state.handled(key) or left <= 0:
                return None, again
            await asyncio.sleep(min(HOLDER_POLL_S, left))  # not past `until`: WeChat's 5 s are counting

    async def _settle(self, lease: Lease, pending: List[asyncio.Task[Any]]) -> None:
        """The message is done once Rasa has handled it and the rest of the answer went out
        (whether or not WeChat took it): until then its lease is renewed, so a kill meanwhile
        lets WeChat's next try run it again."""
        try:
            if pending:
                await asyncio.wait(pending)
        finally:
            await lease.done()

    async def _answer(self, message: Any, key: str, lease: Lease, on_new_message: Handler, until: float,
                      pending: List[asyncio.Task[Any]]) -> Optional[str]:
        """Runs a message taken; its passive reply, None for none. The work still going on when
        the passive reply is given is added to `pending`. What goes to Rasa is recorded as
        unfinished first (`Lease.record`): WeChat may have been answered before it is done."""
        openid, kind = str(message.source), str(message.type)
        event = str(getattr(message, "event", "") or "")
        await self.state.touch(conversation_id(self.name(), openid))
        if kind in NOT_TEXT:
            return TEXT_ONLY
        if kind == "text":
            text = str(message.content or "")
            chosen = picked(text, await self.state.take_choices(openid))
            text = chosen if chosen is not None else text
        elif kind == "event" and event in SUBSCRIBE:
            text = GREETING
        else:
            return None
        if not text.strip():
            return None
        msg_id = getattr(message, "id", None)
        inbound = await lease.record(Inbound(key=key, openid=openid, kind=kind, event=event, text=text,
                                             account=str(message.target), created=int(message.time or 0),
                                             msg_id=int(msg_id) if msg_id is not None else None))
        return await self.run(inbound, on_new_message, until, pending)

    async def rerun(self, inbound: Inbound, lease: Lease, on_new_message: Handler) -> None:
        """Runs a message its dead process left unfinished (the sweeper): its passive reply is
        long over, so all of the answer goes through the API; done, as any message, once
        handled and sent."""
        pending: List[asyncio.Task[Any]] = []
        try:
            await self.run(inbound, on_new_message, asyncio.get_running_loop().time(), pending)
        finally:
            self._spawn(self._settle(lease, pending))

    async def run(self, inbound: Inbound, on_new_message: Handler, until: float,
                  pending: List[asyncio.Task[Any]]) -> Optional[str]:
        """Lets Rasa answer until `until`: the first part of a ready answer is the passive reply,
        the rest (and everything not ready in time) goes through the API. With `until` past,
        everything goes through the API."""
        sender = conversation_id(self.name(), inbound.openid)
        message = UserMessage(inbound.text, None, sender, input_channel=self.name(), metadata=inbound.metadata())
        wait = until - asyncio.get_running_loop().time()
        output = WeChatOutput(self.api, self.state, collecting=wait > 0)
        message.output_channel = output
        handling = self._spawn(on_new_message(message))
        pending.append(handling)
        if wait <= 0:
            return None
        done, _ = await asyncio.wait({handling}, timeout=wait)
        parts = split_text("\n\n".join(output.take()))
        passive: Optional[str] = None
        if done and parts:
            passive, parts = parts[0], parts[1:]
        elif not done:
            logger.info("WeChat channel: no answer for %s within %.1f s; it follows via the API",
                        message.sender_id, self.reply_wait_s)
        if parts:
            pending.append(self._spawn(output.send_parts(inbound.openid, parts)))
        return passive

    def _spawn(self, work: Awaitable[Any]) -> asyncio.Task[Any]:
        async def logged() -> Any:
            try:
                return await work
            except Exception:
                logger.exception("WeChat channel: handling a message failed")
                return None
        task = asyncio.get_running_loop().create_task(logged())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def drain(self, timeout: Optional[float] = None) -> None:
        """Waits for the messages being handled (tests; shutdown)."""
        pending: List[asyncio.Task[Any]] = list(self._tasks)
        if pending:
            await asyncio.wait(pending, timeout=timeout)
