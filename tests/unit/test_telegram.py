"""The Telegram channel without a Rasa server: message splitting, buttons, deduplication, the
webhook's checks, and the output channel against the stand-in Bot API (tests/telegram_stub.py)."""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterator

import pytest
import redis
from rasa.core.channels.channel import UserMessage
from rasa.shared.exceptions import RasaException

from connectors.telegram import (
    ALLOWED_UPDATES,
    BUTTON_KEY_PREFIX,
    ButtonStore,
    Deduplicator,
    RedisLink,
    TelegramInput,
    TelegramOutput,
    command_text,
    keyboard,
    main,
    secret_matches,
    split_text,
    utf16_len,
)
from tests.redis_server import RedisServer
from tests.telegram_stub import BotApiStub, callback_update, text_update

SECRET = "s3cret-Token_for_tests"


@pytest.fixture(scope="module")
def api() -> Iterator[BotApiStub]:
    with BotApiStub() as stub:
        yield stub


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


@pytest.fixture()
def redis_url(redis_server: RedisServer) -> str:
    redis.Redis.from_url(redis_server.url).flushall()
    return redis_server.url


class Received:
    """Stands in for Rasa's `on_new_message`: keeps the UserMessages in order."""

    def __init__(self, delay: float = 0.0) -> None:
        self.messages: list[UserMessage] = []
        self.delay = delay

    async def __call__(self, message: UserMessage) -> None:
        if self.delay and not self.messages:
            await asyncio.sleep(self.delay)
        self.messages.append(message)


def channel(api: BotApiStub, redis_url: str = "", **extra: Any) -> TelegramInput:
    return TelegramInput(api.token, SECRET, verify=api.username, base_url=api.base_url, redis_url=redis_url, **extra)


async def post(ch: TelegramInput, payload: Any, received: Received, secret: str | None = SECRET,
               ) -> tuple[int, dict[str, Any]]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
    result = await ch.receive(secret, body, received)
    await ch.drain()
    return result


# --- splitting ---------------------------------------------------------------------------------


def check_parts(text: str, parts: list[str], limit: int = 4096) -> None:
    assert "".join(parts) == text  # nothing lost, nothing altered
    assert all(0 < utf16_len(p) <= limit and p.strip() for p in parts)


def test_short_and_exactly_4096_characters_are_one_message() -> None:
    assert split_text("订单 20251103887 运输中") == ["订单 20251103887 运输中"]
    assert split_text("a" * 4096) == ["a" * 4096]
    assert split_text("中" * 4096) == ["中" * 4096]
    parts = split_text("a" * 4097)
    assert [len(p) for p in parts] == [4096, 1]


def test_long_text_is_cut_after_paragraphs_then_lines() -> None:
    paragraphs = [f"第{i}段：" + "退款会在三个工作日内原路返回。" * 60 for i in range(12)]
    text = "\n\n".join(paragraphs)
    parts = split_text(text)
    check_parts(text, parts)
    assert len(parts) > 2 and all(p.endswith("\n\n") for p in parts[:-1])
    lines = "\n".join(f"line {i:04d} " + "x" * 70 for i in range(200))
    parts = split_text(lines)
    check_parts(lines, parts)
    assert all(p.endswith("\n") for p in parts[:-1])


def test_cjk_without_spaces_is_cut_after_a_sentence_and_never_loses_a_character() -> None:
    text = "您好，您的订单已经发货，预计明天送达。如有问题请随时联系我们！" * 400
    parts = split_text(text)
    check_parts(text, parts)
    assert all(p[-1] in "。！" for p in parts[:-1])
    unbroken = "中" * 9000
    assert [len(p) for p in split_text(unbroken)] == [4096, 4096, 808]


def test_emoji_count_twice_and_sequences_stay_whole() -> None:
    smileys = "😀" * 3000  # 6000 UTF-16 units: Telegram's way of counting
    parts = split_text(smileys)
    check_parts(smileys, parts)
    assert [len(p) for p in parts] == [2048, 952]
    family = "👨\u200d👩\u200d👧" * 1000  # ZWJ sequences with nowhere to break
    parts = split_text(family)
    check_parts(family, parts)
    assert all(p.startswith("👨") and p.endswith("👧") for p in parts)
    flags = "🇨🇳🇺🇸" * 1500
    assert all(len(p) % 2 == 0 for p in split_text(flags))
    joiners = "\u200d" * 9000  # no place is a good place: still a few full messages, not thousands
    assert [len(p) for p in split_text(joiners)] == [4096, 4096, 808]


def test_special_characters_arrive_literally() -> None:
    text = "<b>&amp;*_[]</b> `x` \\n 😀 " * 400
    parts = split_text(text)
    check_parts(text, parts)
    assert all(p.endswith(" ") for p in parts[:-1])  # cut at a space


def test_random_texts_split_back_into_themselves() -> None:
    rng = random.Random(7)
    alphabet = ["a", "b", " ", "\n", "\n\n", "中", "文", "。", "，", "😀", "e\u0301", "\u200d", "<", "&", "_", "\t"]
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 400)))
        if not text.strip():
            assert split_text(text) == []
            continue
        parts = split_text(text, limit=37)
        assert all(utf16_len(p) <= 37 and p.strip() for p in parts)
        if not re.search(r"\s{18}", text):
            assert "".join(parts) == text
        else:  # only a blank stretch longer than half a message may be left out
            assert re.sub(r"\s", "", "".join(parts)) == re.sub(r"\s", "", text)


def test_blank_text_sends_nothing() -> None:
    assert split_text("") == [] and split_text(" \n\n ") == []


# --- commands and the secret -----------------------------------------------------------------


def test_commands_are_not_intents() -> None:
    assert command_text("/start") == "你好"
    assert command_text("/start ref-42", "en-US") == "hello"
    assert command_text("/help@shop_test_bot") == "help"
    assert command_text("/complain_product_quality") == "complain_product_quality"
    assert command_text("订单/退款 查询") == "订单/退款 查询"


def test_secret_is_compared_exactly() -> None:
    assert secret_matches(SECRET, SECRET)
    assert not secret_matches(SECRET, None) and not secret_matches(SECRET, "")
    assert not secret_matches(SECRET, SECRET.upper()) and not secret_matches(SECRET, SECRET + " ")
    assert not secret_matches("", "")


def test_credentials_need_a_token_and_a_valid_secret() -> None:
    ch = TelegramInput.from_credentials({"access_token": "1:x", "secret_token": SECRET, "verify": "shop_bot",
                                         "webhook_url": "https://shop.example/webhooks/telegram/webhook"})
    assert isinstance(ch, TelegramInput) and ch.name() == "telegram"
    with pytest.raises(RasaException, match="secret_token"):
        TelegramInput.from_credentials({"access_token": "1:x"})
    with pytest.raises(RasaException, match="access_token"):
        TelegramInput.from_credentials({"secret_token": SECRET})
    with pytest.raises(RasaException, match="secret_token"):
        TelegramInput.from_credentials({"access_token": "1:x", "secret_token": "has spaces & more"})
    with pytest.raises(RasaException):
        TelegramInput.from_credentials(None)


# --- buttons -------------------------------------------------------------------------------------


async def test_short_payloads_travel_as_they_are_and_long_ones_as_keys() -> None:
    store = ButtonStore(RedisLink(None), "123")
    assert await store.encode("5") == "5"
    assert await store.encode("跳过") == "跳过"
    exact = "x" * 64
    assert await store.encode(exact) == exact
    long = '/inform{"order_id": "20251103887", "reason": "外包装破损，里面的东西也坏了"}'
    key = await store.encode(long)
    assert key.startswith(BUTTON_KEY_PREFIX) and len(key.encode()) <= 64
    assert await store.decode(key) == long and await store.decode("5") == "5"
    assert await store.decode(BUTTON_KEY_PREFIX + "unknown") is None
    tricky = BUTTON_KEY_PREFIX + "literal"  # looks like a key: mapped too, so it comes back as itself
    assert await store.decode(await store.encode(tricky)) == tricky


async def test_long_payloads_are_readable_by_another_process_through_redis(redis_url: str) -> None:
    writer, reader = ButtonStore(RedisLink(redis_url), "123"), ButtonStore(RedisLink(redis_url), "123")
    payload = "/request_human{\"reason\": \"" + "很" * 40 + "\"}"
    key = await writer.encode(payload)
    assert await reader.decode(key) == payload
    ttl = redis.Redis.from_url(redis_url).ttl(f"telegram:button:123:{key[len(BUTTON_KEY_PREFIX):]}")
    assert 29 * 86400 < ttl <= 30 * 86400


async def test_keyboard_layout() -> None:
    store = ButtonStore(RedisLink(None), "123")
    rating = await keyboard([{"title": str(n), "payload": str(n)} for n in range(5, 0, -1)], store)
    assert rating is not None and [[b.callback_data for b in row] for row in rating.inline_keyboard] == [
        ["5", "4", "3", "2", "1"]]
    long = await keyboard([{"title": "查询订单物流进度", "payload": "/query_order_status"},
                           {"title": "Read our return policy", "payload": "/query_return_policy"},
                           {"title": "Website", "url": "https://shop.example/help"}], store)
    assert long is not None and [len(row) for row in long.inline_keyboard] == [1, 1, 1]
    assert long.inline_keyboard[2][0].url == "https://shop.example/help"
    vertical = await keyboard([{"title": "1", "payload": "1"}, {"title": "2", "payload": "2"}], store, "vertical")
    assert vertical is not None and len(vertical.inline_keyboard) == 2
    assert await keyboard([], store) is None


# --- deduplication ---------------------------------------------------------------------------------


async def test_dedup_in_memory() -> None:
    dedup = Deduplicator(RedisLink(None), "123")
    assert await dedup.first_time(10) is True
    assert await dedup.first_time(10) is False
    assert await dedup.first_time(11) is True


async def test_dedup_is_shared_by_processes_through_redis(redis_url: str) -> None:
    one, two = Deduplicator(RedisLink(redis_url), "123"), Deduplicator(RedisLink(redis_url), "123")
    assert await one.first_time(500) is True
    assert await two.first_time(500) is False  # another Rasa process got the re-delivery
    client = redis.Redis.from_url(redis_url)
    assert 86000 < client.ttl("telegram:update:123:500") <= 86400
    other_bot = Deduplicator(RedisLink(redis_url), "999")
    assert await other_bot.first_time(500) is True


async def test_dedup_falls_back_to_memory_when_redis_is_away() -> None:
    from bot.stack import free_port

    dedup = Deduplicator(RedisLink(f"redis://127.0.0.1:{free_port()}/0"), "123")
    started = time.monotonic()
    assert await dedup.first_time(1) is True
    assert await dedup.first_time(1) is False
    assert time.monotonic() - started < 5


# --- the webhook ---------------------------------------------------------------------------------


async def test_wrong_or_missing_secret_is_refused_and_nothing_happens(api: BotApiStub) -> None:
    ch, received, mark = channel(api), Received(), api.mark()
    for secret in (None, "", "wrong", SECRET + "x"):
        status, body = await post(ch, text_update(1, 42, "你好"), received, secret=secret)
        assert status == 403 and body["error"]["code"] == "forbidden"
    assert received.messages == [] and api.mark() == mark
    status, _ = await post(ch, text_update(1, 42, "你好"), received)
    assert status == 200 and len(received.messages) == 1  # the refused calls did not use up the update id


async def test_malformed_bodies_are_400_with_a_reason(api: BotApiStub) -> None:
    ch, received = channel(api), Received()
    for body, code in ((b"{not json", "malformed_json"), (b"\xff\xfe", "malformed_json"), (b"", "malformed_json"),
                       (b"[]", "not_an_update"), (b'"text"', "not_an_update"), (b'{"message": {}}', "not_an_update"),
                       (b'{"update_id": "7"}', "not_an_update"), (b'{"update_id": true}', "not_an_update"),
                       (b'{"update_id": 7, "message": {"text": "no chat"}}', "not_an_update"),
                       (b'{"update_id": 8, "callback_query": {"id": 1}}', "not_an_update")):
        status, answer = await post(ch, body, received)
        assert (status, answer["error"]["code"]) == (400, code), body
        assert answer["error"]["message"]
    assert received.messages == []


async def test_text_message_becomes_a_user_message_for_the_chat(api: BotApiStub) -> None:
    ch, received = channel(api), Received()
    status, body = await post(ch, text_update(100, 4242, "订单 20251103887 到哪了"), received)
    assert (status, body) == (200, {"ok": True, "status": "accepted"})
    [message] = received.messages
    assert message.text == "订单 20251103887 到哪了" and message.sender_id == "4242"
    assert message.input_channel == "telegram" and isinstance(message.output_channel, TelegramOutput)
    info = message.metadata["telegram"]
    assert info["update_id"] == 100 and info["chat_type"] == "private"
    assert info["user"] == {"id": 4242, "is_bot": False, "first_name": "Lin", "username": "customer4242",
                            "language_code": "zh-hans"}
    json.dumps(message.metadata)  # stored in the tracker: must be plain JSON


async def test_the_same_update_twice_is_handled_once(api: BotApiStub) -> None:
    ch, received = channel(api), Received()
    assert (await post(ch, text_update(200, 42, "你好"), received))[1]["status"] == "accepted"
    assert (await post(ch, text_update(200, 42, "你好"), received))[1]["status"] == "duplicate"
    assert len(received.messages) == 1


async def test_other_updates_are_ignored_with_200(api: BotApiStub) -> None:
    ch, received = channel(api), Received()
    edited = {"update_id": 301, "edited_message": text_update(0, 42, "改一下")["message"]}
    sticker = text_update(302, 42, "")
    del sticker["message"]["text"]
    sticker["message"]["sticker"] = {"file_id": "CAAC", "file_unique_id": "u", "type": "regular", "width": 512,
                                     "height": 512, "is_animated": False, "is_video": False}
    group = text_update(303, -100123, "大家好")
    group["message"]["chat"] = {"id": -100123, "title": "Shop fans", "type": "supergroup"}
    for update in (edited, sticker, group):
        assert await post(ch, update, received) == (200, {"ok": True, "status": "ignored"})
    assert received.messages == []


async def test_commands_reach_rasa_as_words(api: BotApiStub) -> None:
    ch, received = channel(api), Received()
    await post(ch, text_update(400, 42, "/start"), received)
    await post(ch, text_update(401, 43, "/start", language_code="en"), received)
    assert [m.text for m in received.messages] == ["你好", "hello"]


async def test_one_chats_messages_keep_their_order(api: BotApiStub) -> None:
    ch, received = channel(api), Received(delay=0.3)  # the first message is slow to handle
    await ch.receive(SECRET, json.dumps(text_update(500, 42, "第一句")).encode(), received)
    await ch.receive(SECRET, json.dumps(text_update(501, 42, "第二句")).encode(), received)
    await ch.drain()
    assert [m.text for m in received.messages] == ["第一句", "第二句"]


async def test_button_press_is_answered_and_sent_as_the_payload(api: BotApiStub) -> None:
    ch, received = channel(api), Received()
    mark = api.mark()
    status, body = await post(ch, callback_update(600, 4343, "5"), received)
    assert (status, body["status"]) == (200, "accepted")
    [answered] = [c for c in api.calls[mark:] if c.method == "answerCallbackQuery"]
    assert answered.params["callback_query_id"] == "4343600" and "text" not in answered.params
    [message] = received.messages
    assert (message.text, message.sender_id, message.input_channel) == ("5", "4343", "telegram")
    assert message.metadata["telegram"]["callback_query_id"] == "4343600"


async def test_long_payload_button_round_trip(api: BotApiStub) -> None:
    ch, received = channel(api), Received()
    payload = '/inform{"order_id": "20251103887", "note": "这是一个超过六十四字节的按钮载荷"}'
    mark = api.mark()
    await ch.get_output_channel().send_text_with_buttons("4444", "请选择", [{"title": "就是这个", "payload": payload}])
    sent = api.wait_for(lambda c: c.method == "sendMessage", mark)
    data = sent.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    assert len(data.encode()) <= 64
    await post(ch, callback_update(700, 4444, data), received)
    assert [m.text for m in received.messages] == [payload]


async def test_expired_button_is_explained_not_sent(api: BotApiStub) -> None:
    ch, received = channel(api), Received()
    mark = api.mark()
    await post(ch, callback_update(800, 4545, BUTTON_KEY_PREFIX + "gone"), received)
    [answered] = [c for c in api.calls[mark:] if c.method == "answerCallbackQuery"]
    assert "过期" in answered.params["text"] and received.messages == []


# --- the output channel -------------------------------------------------------------------------


async def test_long_reply_is_split_and_sent_as_plain_text(api: BotApiStub) -> None:
    out = channel(api).get_output_channel()
    text = ("<b>&amp;*_[]</b> 😀 退款说明\n" + "第二行 *粗体* _斜体_ [链接](x) & < >\n" * 150 + "\n\n") * 3
    mark = api.mark()
    await out.send_text_message("5151", text)
    sent = [c for c in api.calls[mark:] if c.method == "sendMessage"]
    assert len(sent) > 1 and "".join(c.text for c in sent) == text
    assert all(c.chat_id == "5151" and "parse_mode" not in c.params for c in sent)


async def test_buttons_hang_on_the_last_part(api: BotApiStub) -> None:
    out = channel(api).get_output_channel()
    mark = api.mark()
    await out.send_response("5252", {"text": "打分" * 3000, "buttons": [{"title": "5", "payload": "5"}]})
    sent = [c for c in api.calls[mark:] if c.method == "sendMessage"]
    assert len(sent) == 2 and "reply_markup" not in sent[0].params
    assert sent[1].params["reply_markup"] == {"inline_keyboard": [[{"text": "5", "callback_data": "5"}]]}
    mark = api.mark()
    await out.send_response("5252", {"text": "快速回复", "quick_replies": [{"title": "是", "payload": "/affirm"}]})
    [quick] = [c for c in api.calls[mark:] if c.method == "sendMessage"]
    assert quick.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "/affirm"


async def test_image_and_custom_payloads(api: BotApiStub) -> None:
    out = channel(api).get_output_channel()
    mark = api.mark()
    await out.send_response("5353", {"image": "https://shop.example/p.png"})
    await out.send_response("5353", {"custom": {"text": "自定义消息"}})
    await out.send_response("5353", {"custom": {"handoff": {"case": "C-1"}}})  # internal: not shown
    calls = [(c.method, c.params.get("photo") or c.text) for c in api.calls[mark:] if c.method != "getMe"]
    assert calls == [("sendPhoto", "https://shop.example/p.png"), ("sendMessage", "自定义消息")]


async def test_flood_control_is_waited_out(api: BotApiStub) -> None:
    out = channel(api).get_output_channel()
    await out.send_text_message("5454", "warm up")  # initialises the bot
    mark = api.mark()
    api.fail_next("sendMessage", retry_after=1)
    await out.send_text_message("5454", "稍等一下")
    sent = [c for c in api.calls[mark:] if c.method == "sendMessage"]
    assert [c.text for c in sent] == ["稍等一下", "稍等一下"] and sent[1].at - sent[0].at >= 0.9


async def test_a_token_of_another_bot_is_refused(api: BotApiStub) -> None:
    ch = TelegramInput(api.token, SECRET, verify="some_other_bot", base_url=api.base_url, redis_url="")
    with pytest.raises(RasaException, match="some_other_bot"):
        await ch.get_output_channel().send_text_message("42", "hi")


async def test_rasa_finds_this_output_channel_for_output_channel_latest(api: BotApiStub) -> None:
    """The path of an agent's reply: Rasa's server asks the latest input channel for an output."""
    from rasa.server import _get_output_channel
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    ch = channel(api)
    tracker = DialogueStateTracker.from_events("5555", [UserUttered("你好", input_channel="telegram")])

    request = SimpleNamespace(args={"output_channel": "latest"},
                              app=SimpleNamespace(ctx=SimpleNamespace(input_channels=[ch])))
    out = _get_output_channel(request, tracker)
    assert isinstance(out, TelegramOutput)
    mark = api.mark()
    await out.send_response(tracker.sender_id, {"text": "您好，我是客服 alice"})
    assert [c.text for c in api.calls[mark:] if c.method == "sendMessage" and c.chat_id == "5555"] == [
        "您好，我是客服 alice"]


# --- the command line ---------------------------------------------------------------------------


def credentials_file(tmp_path: Path, api: BotApiStub) -> Path:
    path = tmp_path / "credentials.yml"
    path.write_text("rest:\n"
                    "connectors.telegram.TelegramInput:\n"
                    "  access_token: ${TG_UNIT_TOKEN}\n"
                    f"  verify: {api.username}\n"
                    "  webhook_url: https://shop.example/webhooks/telegram/webhook\n"
                    f"  secret_token: {SECRET}\n"
                    f"  base_url: {api.base_url}\n", encoding="utf-8")
    return path


def test_set_webhook_info_and_delete_webhook(api: BotApiStub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TG_UNIT_TOKEN", api.token)
    path = str(credentials_file(tmp_path, api))
    mark = api.mark()
    assert main(["set-webhook", "--credentials", path, "--drop-pending-updates"]) == 0
    [call] = [c for c in api.calls[mark:] if c.method == "setWebhook"]
    assert call.params["url"] == "https://shop.example/webhooks/telegram/webhook"
    assert call.params["secret_token"] == SECRET and call.params["allowed_updates"] == list(ALLOWED_UPDATES)
    assert call.params["drop_pending_updates"] == "true"
    shown = json.loads(capsys.readouterr().out)
    assert shown["url"] == "https://shop.example/webhooks/telegram/webhook" and shown["bot"] == "@shop_test_bot"
    assert main(["info", "--credentials", path]) == 0
    assert json.loads(capsys.readouterr().out)["allowed_updates"] == ["message", "callback_query"]
    assert main(["delete-webhook", "--credentials", path]) == 0
    assert json.loads(capsys.readouterr().out)["url"] == ""
    assert [c for c in api.calls[mark:] if c.method == "deleteWebhook"]


def test_command_line_says_what_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "credentials.yml"
    path.write_text("rest:\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="TelegramInput"):
        main(["info", "--credentials", str(path)])


def test_command_line_reports_a_refused_token_and_an_unreachable_api(api: BotApiStub, tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from bot.stack import free_port

    path = tmp_path / "credentials.yml"
    path.write_text("connectors.telegram.TelegramInput:\n  access_token: \"999:wrong\"\n"
                    f"  secret_token: {SECRET}\n  base_url: {api.base_url}\n", encoding="utf-8")
    assert main(["info", "--credentials", str(path)]) == 1
    assert "rejected" in capsys.readouterr().err
    path.write_text("connectors.telegram.TelegramInput:\n  access_token: \"999:x\"\n"
                    f"  secret_token: {SECRET}\n  base_url: http://127.0.0.1:{free_port()}/bot\n", encoding="utf-8")
    assert main(["info", "--credentials", str(path)]) == 1
    assert "cannot reach the Bot API" in capsys.readouterr().err
