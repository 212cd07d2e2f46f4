"""The webhook secret and the credentials section, shared by the channel and the command line."""

from __future__ import annotations

from connectors.telegram.credentials import client_options, secret_matches, secret_token_error
from tests.unit.connectors.telegram.support import SECRET


def test_secret_is_compared_exactly() -> None:
    assert secret_matches(SECRET, SECRET)
    assert not secret_matches(SECRET, None) and not secret_matches(SECRET, "")
    assert not secret_matches(SECRET, SECRET.upper()) and not secret_matches(SECRET, SECRET + " ")
    assert not secret_matches("", "")


def test_secret_token_is_checked_against_telegrams_rule() -> None:
    assert secret_token_error(SECRET) is None and secret_token_error("x" * 256) is None
    for bad in ("", "has spaces & more", "x" * 257, "点"):
        problem = secret_token_error(bad)
        assert problem is not None and "secret_token" in problem


def test_client_options_are_read_from_the_section() -> None:
    section = {"access_token": 123, "verify": "shop_bot", "secret_token": SECRET, "proxy": "http://proxy:3128",
               "webhook_url": "https://shop.example/webhooks/telegram/webhook"}
    assert client_options(section) == {"access_token": "123", "verify": "shop_bot", "base_url": None,
                                       "base_file_url": None, "proxy": "http://proxy:3128"}
