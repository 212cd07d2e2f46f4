"""The command line that registers the webhook, against the stand-in Bot API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.telegram.channel import ALLOWED_UPDATES
from connectors.telegram.cli import main
from tests.telegram_stub import BotApiStub
from tests.unit.connectors.telegram.support import SECRET


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
    from tools.stack import free_port

    path = tmp_path / "credentials.yml"
    path.write_text("connectors.telegram.TelegramInput:\n  access_token: \"999:wrong\"\n"
                    f"  secret_token: {SECRET}\n  base_url: {api.base_url}\n", encoding="utf-8")
    assert main(["info", "--credentials", str(path)]) == 1
    assert "rejected" in capsys.readouterr().err
    path.write_text("connectors.telegram.TelegramInput:\n  access_token: \"999:x\"\n"
                    f"  secret_token: {SECRET}\n  base_url: http://127.0.0.1:{free_port()}/bot\n", encoding="utf-8")
    assert main(["info", "--credentials", str(path)]) == 1
    assert "cannot reach the Bot API" in capsys.readouterr().err
