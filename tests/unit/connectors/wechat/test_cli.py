"""`python -m connectors.wechat check` reads the section as Rasa does and prints the URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.wechat.cli import main
from tests.wechat_stub import AES_KEY, APPID, SECRET, TOKEN


def write(tmp_path: Path, extra: str = "", aes_key: str = AES_KEY) -> str:
    path = tmp_path / "credentials.yml"
    path.write_text("connectors.wechat.WeChatInput:\n"
                    "  token: ${WECHAT_TEST_TOKEN}\n"
                    f"  appid: {APPID}\n  secret: {SECRET}\n  encoding_aes_key: {aes_key}\n" + extra)
    return str(path)


def test_check_prints_what_to_enter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("WECHAT_TEST_TOKEN", TOKEN)
    assert main(["check", "--credentials", write(tmp_path, "  public_url: https://shop.example\n")]) == 0
    out = capsys.readouterr().out
    assert "https://shop.example/webhooks/wechat/webhook" in out and TOKEN in out and "safe" in out


def test_check_fails_on_a_short_aes_key_and_without_a_public_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("WECHAT_TEST_TOKEN", TOKEN)
    assert main(["check", "--credentials", write(tmp_path, aes_key="abc"), "--public-url", "https://x.example"]) == 1
    assert "encoding_aes_key must be 43" in capsys.readouterr().err
    assert main(["check", "--credentials", write(tmp_path)]) == 1
    assert "--public-url" in capsys.readouterr().err


def test_a_file_without_the_section_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "credentials.yml"
    path.write_text("rest:\n")
    with pytest.raises(SystemExit, match="WeChatInput"):
        main(["check", "--credentials", str(path)])
