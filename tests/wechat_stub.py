"""A local stand-in for the WeChat Official Account API, and messages as WeChat posts them.

`WeChatApiStub` listens on 127.0.0.1 (a thread) at `http://127.0.0.1:PORT/cgi-bin/` and answers
`token` (GET: the access token) and `message/custom/send` (POST: a customer-service message) with
WeChat's JSON, recording every call. It refuses what WeChat refuses: a wrong appid or secret
(40013/40125), an unknown or expired access token (40001/42001), empty or over-long text (44003,
45002 above 2048 bytes), and a customer outside the 48-hour window (45015, `unreachable`).

`WeChatServer` builds the POSTs WeChat makes to the account's URL: real XML, signed with the Token
and, in safe mode, AES-encrypted with the EncodingAESKey by wechatpy's own crypto.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import string
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Optional
from urllib.parse import parse_qs, urlencode, urlsplit

import xmltodict
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto

APPID = "wx5f3c2a9e1b7d4c60"
SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
TOKEN = "shopWeChatToken2026"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters
ACCOUNT = "gh_3f2a1b0c9d8e"  # the Official Account's original id (ToUserName)
TEXT_LIMIT = 2048


@dataclass
class Call:
    method: str  # "token" or "message/custom/send"
    params: dict[str, Any]  # query parameters
    body: dict[str, Any]
    answer: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)

    @property
    def ok(self) -> bool:
        return int(self.answer.get("errcode", 0)) == 0

    @property
    def openid(self) -> str:
        return str(self.body.get("touser", ""))

    @property
    def text(self) -> str:
        return str((self.body.get("text") or {}).get("content", ""))


class WeChatApiStub:
    """`with WeChatApiStub() as api:` then point the channel's `api_base_url` at `api.base_url`."""

    def __init__(self, appid: str = APPID, secret: str = SECRET, expires_in: int = 7200) -> None:
        self.appid, self.secret, self.expires_in = appid, secret, expires_in
        self.calls: list[Call] = []
        self.tokens: dict[str, float] = {}  # access token → when it expires (monotonic)
        self.unreachable: set[str] = set()  # openids whose 48-hour window has closed
        self.changed = threading.Condition()
        self._serial = itertools.count(1)
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, answer = stub.handle(self.path, body)
                data = json.dumps(answer, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_POST = do_GET

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/cgi-bin/"

    def __enter__(self) -> WeChatApiStub:
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- what tests ask -----------------------------------------------------------------------

    def mark(self) -> int:
        with self.changed:
            return len(self.calls)

    def sent(self, openid: str, start: int = 0) -> list[Call]:
        with self.changed:
            return [c for c in self.calls[start:] if c.method == "message/custom/send" and c.openid == openid]

    def of(self, method: str) -> list[Call]:
        with self.changed:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, predicate: Callable[[Call], bool], start: int = 0, timeout: float = 20) -> Call:
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for call in self.calls[start:]:
                    if predicate(call):
                        return call
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(c.method, c.openid, c.text[:80], c.answer) for c in self.calls[start:]]
                    raise AssertionError(f"no matching WeChat API call within {timeout} s; calls: {seen}")
                self.changed.wait(left)

    def expire_tokens(self) -> None:
        """Every access token given out so far stops working (WeChat's 42001)."""
        with self.changed:
            self.tokens = {token: 0.0 for token in self.tokens}

    # -- the API ------------------------------------------------------------------------------

    def handle(self, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
        parts = urlsplit(path)
        params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if not parts.path.startswith("/cgi-bin/"):
            return 404, {"errcode": 404, "errmsg": "not found"}
        method = parts.path[len("/cgi-bin/"):]
        try:
            data = json.loads(body.decode("utf-8")) if body else {}
        except (ValueError, UnicodeDecodeError):
            data = None
        call = Call(method, params, data if isinstance(data, dict) else {})
        if data is None or not isinstance(data, dict):
            call.answer = {"errcode": 47001, "errmsg": "data format error"}
        elif method == "token":
            call.answer = self.token(params)
        elif method == "message/custom/send":
            call.answer = self.custom_send(params, data)
        else:
            call.answer = {"errcode": 48001, "errmsg": "api unauthorized"}
        with self.changed:
            self.calls.append(call)
            self.changed.notify_all()
        return 200, call.answer

    def token(self, params: dict[str, str]) -> dict[str, Any]:
        if params.get("grant_type") != "client_credential":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        if params.get("appid") != self.appid:
            return {"errcode": 40013, "errmsg": "invalid appid"}
        if params.get("secret") != self.secret:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        token = f"ACCESS_TOKEN_{next(self._serial)}_" + "".join(random.choices(string.ascii_letters, k=24))
        with self.changed:
            self.tokens[token] = time.monotonic() + self.expires_in
        return {"access_token": token, "expires_in": self.expires_in}

    def custom_send(self, params: dict[str, str], data: dict[str, Any]) -> dict[str, Any]:
        with self.changed:
            expires = self.tokens.get(params.get("access_token", ""))
        if expires is None:
            return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
        if expires <= time.monotonic():
            return {"errcode": 42001, "errmsg": "access_token expired"}
        if data.get("msgtype") != "text":
            return {"errcode": 40008, "errmsg": "invalid message type"}
        content = str((data.get("text") or {}).get("content") or "")
        if not content.strip():
            return {"errcode": 44003, "errmsg": "empty news data"}
        if len(content.encode("utf-8")) > TEXT_LIMIT:
            return {"errcode": 45002, "errmsg": "content size out of limit"}
        if str(data.get("touser", "")) in self.unreachable:
            return {"errcode": 45015, "errmsg": "response out of time limit or subscription is canceled"}
        return {"errcode": 0, "errmsg": "ok"}


# -- what WeChat posts to the account's URL ---------------------------------------------------


def sign(token: str, timestamp: str, nonce: str) -> str:
    """WeChat's `signature`: SHA-1 of the sorted Token, timestamp and nonce (written out here so
    the test does not check wechatpy against itself)."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode("utf-8")).hexdigest()


def text_xml(openid: str, content: str, msg_id: int, account: str = ACCOUNT) -> str:
    return (f"<xml><ToUserName><![CDATA[{account}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>")


def image_xml(openid: str, msg_id: int, account: str = ACCOUNT) -> str:
    return (f"<xml><ToUserName><![CDATA[{account}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[image]]></MsgType>"
            f"<PicUrl><![CDATA[http://mmbiz.qpic.cn/stand-in.jpg]]></PicUrl>"
            f"<MediaId><![CDATA[media_{msg_id}]]></MediaId><MsgId>{msg_id}</MsgId></xml>")


def subscribe_xml(openid: str, account: str = ACCOUNT) -> str:
    return (f"<xml><ToUserName><![CDATA[{account}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            f"<Event><![CDATA[subscribe]]></Event></xml>")


class WeChatServer:
    """Signs (and in safe mode encrypts) messages as WeChat does, and reads its passive replies."""

    def __init__(self, token: str = TOKEN, aes_key: Optional[str] = AES_KEY, appid: str = APPID) -> None:
        self.token = token
        self.crypto = WeChatCrypto(token, aes_key, appid) if aes_key else None

    def request(self, xml: str, safe: bool = True, token: Optional[str] = None) -> tuple[str, bytes]:
        """The query string and body of WeChat's POST; `token`: sign with another Token (a forger)."""
        timestamp, nonce = str(int(time.time())), str(random.randint(10**8, 10**9))
        query = {"signature": sign(token or self.token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce,
                 "openid": "stand-in"}
        if not safe or self.crypto is None:
            return urlencode(query), xml.encode("utf-8")
        crypto = WeChatCrypto(token, AES_KEY, APPID) if token else self.crypto
        envelope = crypto.encrypt_message(xml, nonce, timestamp)
        parsed = xmltodict.parse(envelope)["xml"]
        query.update(encrypt_type="aes", msg_signature=parsed["MsgSignature"])
        body = (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
                f"<Encrypt><![CDATA[{parsed['Encrypt']}]]></Encrypt></xml>")
        return urlencode(query), body.encode("utf-8")

    def reply_text(self, body: bytes, query: str) -> Optional[str]:
        """The text of a passive reply ("success" or empty: None), decrypted in safe mode."""
        text = body.decode("utf-8").strip()
        if not text or text == "success":
            return None
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        if params.get("encrypt_type") == "aes" and self.crypto is not None:
            envelope = xmltodict.parse(text)["xml"]
            text = self.crypto.decrypt_message(text, envelope["MsgSignature"], envelope["TimeStamp"],
                                               envelope["Nonce"])
        reply = parse_message(text)
        return str(reply.content) if reply.type == "text" else None
