"""A local stand-in for the Telegram Bot API, and Update payloads as Telegram sends them.

`BotApiStub` listens on 127.0.0.1 (a thread, like the integration tests' inbox) at
`http://127.0.0.1:PORT/bot<token>/<method>`, answers getMe, sendMessage, sendPhoto,
answerCallbackQuery, setWebhook, deleteWebhook and getWebhookInfo with Bot API JSON, and records
every call with its parameters. It takes JSON, form-encoded (what python-telegram-bot sends) and
multipart bodies, and refuses what Telegram refuses (empty or over-long text, callback_data over
64 bytes, a wrong token), so a test that passes here does not pass only because the stand-in is
lenient. `fail_next` makes it answer like Telegram under flood control.
"""

from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import select
import socket
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Optional, cast
from urllib.parse import parse_qs

# Parameters the Bot API takes as JSON-serialised values inside a form.
JSON_FIELDS = frozenset({"reply_markup", "allowed_updates", "entities", "caption_entities", "link_preview_options",
                         "reply_parameters"})


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    content_type: str
    at: float = field(default_factory=time.monotonic)
    result: Any = None  # what the stand-in answered (the sent Message for sendMessage)

    @property
    def chat_id(self) -> str:
        return str(self.params.get("chat_id", ""))

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def ok(self) -> bool:
        return not isinstance(self.result, BotApiError)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_body(content_type: str, body: bytes) -> dict[str, Any]:
    """Parameters from a JSON, urlencoded or multipart body, JSON-valued fields decoded."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/json":
        data = json.loads(body or b"{}")
        return dict(data) if isinstance(data, dict) else {}
    params: dict[str, Any] = {}
    if kind == "multipart/form-data":
        message = cast(EmailMessage, email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body))
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            raw = payload if isinstance(payload, bytes) else b""
            params[str(name)] = raw.decode("utf-8") if part.get_filename() is None else raw
    elif body:
        for name, values in parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False).items():
            params[name] = values[-1]
    for name in JSON_FIELDS & params.keys():
        if isinstance(params[name], str):
            params[name] = json.loads(params[name])
    return params


class BotApiError(Exception):
    def __init__(self, code: int, description: str, parameters: Optional[dict[str, Any]] = None) -> None:
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters


class BotApiStub:
    """`with BotApiStub() as api:` then Bot(api.token, base_url=api.base_url)."""

    def __init__(self, token: str = "123456789:AAE-stand-in-token_for_tests", username: str = "shop_test_bot") -> None:
        self.token, self.username = token, username
        self.bot_id = int(token.split(":", 1)[0])
        self.calls: list[Call] = []
        self.webhook: dict[str, Any] = {"url": "", "allowed_updates": None, "secret_token": None}
        self.failures: list[tuple[str, BotApiError]] = []
        self.changed = threading.Condition()
        self._message_ids = itertools.count(1000)
        self.stalls: list[tuple[str, float]] = []  # (method, seconds): see `stall`
        self.stalled: list[str] = []  # methods of calls that arrived and are being held
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if stub.hold(self.path, self.connection):
                    return  # the caller died while the call was held: it never reached "Telegram"
                status, answer = stub.handle(self.path, self.headers.get("Content-Type") or "", body)
                data = json.dumps(answer, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/bot"
        self.base_file_url = f"http://127.0.0.1:{self.port}/file/bot"
        self._thread: Optional[threading.Thread] = None

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> BotApiStub:
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> BotApiStub:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- what tests ask -----------------------------------------------------------------------

    def of(self, method: str, chat_id: Optional[int | str] = None) -> list[Call]:
        with self.changed:
            return [c for c in self.calls
                    if c.method == method and (chat_id is None or c.chat_id == str(chat_id))]

    def texts_to(self, chat_id: int | str) -> list[str]:
        return [c.text for c in self.of("sendMessage", chat_id)]

    def mark(self) -> int:
        with self.changed:
            return len(self.calls)

    def wait_for(self, predicate: Callable[[Call], bool], start: int = 0, timeout: float = 20) -> Call:
        """The first call from `start` on that satisfies `predicate`, waiting up to `timeout`."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for call in self.calls[start:]:
                    if predicate(call):
                        return call
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(c.method, c.chat_id, c.text[:80]) for c in self.calls[start:]]
                    raise AssertionError(f"no matching Bot API call within {timeout} s; calls: {seen}")
                self.changed.wait(left)

    def wait_for_text(self, chat_id: int | str, needle: str, start: int = 0, timeout: float = 20) -> Call:
        return self.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == str(chat_id)
                             and needle in c.text, start, timeout)

    def fail_next(self, method: str, code: int = 429, description: str = "Too Many Requests: retry after 1",
                  retry_after: Optional[int] = 1) -> None:
        """The next call of `method` is refused, as Telegram's flood control does."""
        parameters = {"retry_after": retry_after} if retry_after is not None else None
        with self.changed:
            self.failures.append((method, BotApiError(code, description, parameters)))

    def stall(self, method: str, seconds: float) -> None:
        """The next call of `method` is held `seconds` before it is answered (a slow Telegram),
        and dropped unrecorded if its caller has gone meanwhile (killed mid-call)."""
        with self.changed:
            self.stalls.append((method, seconds))

    def hold(self, path: str, connection: Any) -> bool:
        method = path.rsplit("/", 1)[-1].split("?", 1)[0]
        with self.changed:
            stall = next((s for s in self.stalls if s[0] == method), None)
            if stall is None:
                return False
            self.stalls.remove(stall)
            self.stalled.append(method)
            self.changed.notify_all()
        time.sleep(stall[1])
        readable, _, _ = select.select([connection], [], [], 0)
        try:
            return bool(readable) and connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    # -- the Bot API --------------------------------------------------------------------------

    def me(self) -> dict[str, Any]:
        return {"id": self.bot_id, "is_bot": True, "first_name": "Shop", "username": self.username,
                "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}

    def handle(self, path: str, content_type: str, body: bytes) -> tuple[int, dict[str, Any]]:
        prefix = f"/bot{self.token}/"
        if not path.startswith("/bot"):
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        if not path.startswith(prefix):
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        method = path[len(prefix):].split("?", 1)[0]
        try:
            params = parse_body(content_type, body)
        except (ValueError, UnicodeDecodeError) as exc:
            return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {exc}"}
        call = Call(method, params, content_type)
        with self.changed:
            failure = next((f for f in self.failures if f[0] == method), None)
            if failure is not None:
                self.failures.remove(failure)
        try:
            if failure is not None:
                raise failure[1]
            call.result = self.answer(method, params)
            return 200, {"ok": True, "result": call.result}
        except BotApiError as exc:
            call.result = exc
            answer: dict[str, Any] = {"ok": False, "error_code": exc.code, "description": exc.description}
            if exc.parameters:
                answer["parameters"] = exc.parameters
            return exc.code, answer
        finally:
            with self.changed:  # recorded once answered, so a waiting test sees the result too
                self.calls.append(call)
                self.changed.notify_all()

    def _chat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = str(params.get("chat_id", ""))
        if not chat_id.lstrip("-").isdigit():
            raise BotApiError(400, "Bad Request: chat not found")
        return {"id": int(chat_id), "type": "private" if int(chat_id) > 0 else "group", "first_name": "Customer"}

    def _message(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        message = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": self._chat(params),
                   "from": self.me(), **content}
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    def _check_markup(self, markup: Any) -> None:
        for row in (markup or {}).get("inline_keyboard", []) if isinstance(markup, dict) else []:
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode("utf-8")) <= 64:
                    raise BotApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if not button.get("text"):
                    raise BotApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")

    def answer(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return self.me()
        if method == "sendMessage":
            text = str(params.get("text") or "")
            if not text.strip():
                raise BotApiError(400, "Bad Request: message text is empty")
            if utf16_len(text) > 4096:
                raise BotApiError(400, "Bad Request: message is too long")
            self._check_markup(params.get("reply_markup"))
            return self._message(params, text=text)
        if method == "sendPhoto":
            if not params.get("photo"):
                raise BotApiError(400, "Bad Request: there is no photo in the request")
            return self._message(params, photo=[{"file_id": "AgAD-stand-in", "file_unique_id": "stand-in",
                                                 "width": 320, "height": 240}])
        if method == "answerCallbackQuery":
            if not params.get("callback_query_id"):
                raise BotApiError(400, "Bad Request: query is too old and response timeout expired or query ID is "
                                       "invalid")
            return True
        if method == "setWebhook":
            self.webhook = {"url": str(params.get("url") or ""), "allowed_updates": params.get("allowed_updates"),
                            "secret_token": params.get("secret_token")}
            return True
        if method == "deleteWebhook":
            self.webhook = {"url": "", "allowed_updates": None, "secret_token": None}
            return True
        if method == "getWebhookInfo":
            info: dict[str, Any] = {"url": self.webhook["url"], "has_custom_certificate": False,
                                    "pending_update_count": 0}
            if self.webhook["url"]:
                info["max_connections"] = 40
                if self.webhook["allowed_updates"]:
                    info["allowed_updates"] = self.webhook["allowed_updates"]
            return info
        raise BotApiError(404, "Not Found: method not found")


# -- Updates as Telegram posts them to a webhook ---------------------------------------------


def user(user_id: int, first_name: str = "Lin", language_code: str = "zh-hans") -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": first_name, "username": f"customer{user_id}",
            "language_code": language_code}


def private_chat(chat_id: int, first_name: str = "Lin") -> dict[str, Any]:
    return {"id": chat_id, "first_name": first_name, "username": f"customer{chat_id}", "type": "private"}


def text_update(update_id: int, chat_id: int, text: str, message_id: int = 1,
                language_code: str = "zh-hans") -> dict[str, Any]:
    return {"update_id": update_id,
            "message": {"message_id": message_id, "from": user(chat_id, language_code=language_code),
                        "chat": private_chat(chat_id), "date": int(time.time()), "text": text}}


def callback_update(update_id: int, chat_id: int, data: str, bot_id: int = 123456789,
                    message_id: int = 1000) -> dict[str, Any]:
    """A press on an inline button under one of the bot's messages."""
    return {"update_id": update_id,
            "callback_query": {"id": f"{chat_id}{update_id}", "from": user(chat_id), "chat_instance": "-7730001",
                               "data": data,
                               "message": {"message_id": message_id, "date": int(time.time()),
                                           "from": {"id": bot_id, "is_bot": True, "first_name": "Shop",
                                                    "username": "shop_test_bot"},
                                           "chat": private_chat(chat_id), "text": "请为本次服务打分"}}}
