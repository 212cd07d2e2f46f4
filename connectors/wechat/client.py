"""The WeChat API client shared by the input channel, the output channel and the command line:
wechatpy's `WeChatClient`, pointed at a configurable API base (the tests' stand-in), with the
access token in Redis so every Rasa process shares one.

WeChat gives an access token for 2 hours and a new one replaces the old (which then lives 5 more
minutes): the token is stored in Redis (wechatpy's `RedisStorage`) for its lifetime minus
REFRESH_MARGIN, so it is fetched again before it expires, by whichever process needs it first.
On 40001/40014/42001 (an invalid or expired token) wechatpy itself fetches a new one and repeats
the call once (`auto_retry`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, Optional

import redis
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session.memorystorage import MemoryStorage
from wechatpy.session.redisstorage import RedisStorage

logger = logging.getLogger(__name__)

API_BASE_URL = "https://api.weixin.qq.com/cgi-bin/"
REFRESH_MARGIN = 300  # seconds before WeChat's expiry at which the cached token is dropped
OUTSIDE_WINDOW = 45015  # "response out of time limit": the customer's last message is over 48 hours old


class CustomerUnreachable(Exception):
    """WeChat refused a customer-service message because the 48-hour window has closed."""


class ShopWeChatClient(WeChatClient):
    """`WeChatClient` with its API base (token endpoint included) taken from the credentials."""

    def __init__(self, appid: str, secret: str, api_base_url: Optional[str] = None, session: Any = None,
                 timeout: float = 10.0) -> None:
        super().__init__(appid, secret, session=session, timeout=timeout)
        self.API_BASE_URL = (api_base_url or API_BASE_URL).rstrip("/") + "/"

    def fetch_access_token(self) -> Dict[str, Any]:
        """wechatpy's own fetch, at this client's base, cached for its lifetime minus the margin."""
        result: Dict[str, Any] = self._fetch_access_token(
            url=self.API_BASE_URL + "token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret})
        lifetime = int(result.get("expires_in") or 7200)
        keep = max(lifetime - REFRESH_MARGIN, min(lifetime, 60))
        self.session.set(self.access_token_key, result["access_token"], keep)
        expires_at: Any = getattr(self, "expires_at", None)  # set by wechatpy's fetch: its full lifetime
        self.expires_at = expires_at - lifetime + keep if expires_at else None
        return result


def token_session(redis_url: Optional[str]) -> Any:
    """Where access tokens live: Redis (shared by every process) or, without a URL, this process."""
    if not redis_url:
        return MemoryStorage()
    return RedisStorage(redis.Redis.from_url(redis_url, socket_timeout=2.0, socket_connect_timeout=2.0),
                        prefix="wechat:token")


class WeChatApi:
    """The calls the channel makes, off the event loop (wechatpy uses blocking `requests`)."""

    def __init__(self, appid: str, secret: str, api_base_url: Optional[str] = None,
                 redis_url: Optional[str] = None) -> None:
        self.client = ShopWeChatClient(appid, secret, api_base_url, token_session(redis_url))

    async def send_text(self, openid: str, text: str) -> None:
        """One customer-service text message; CustomerUnreachable outside the 48-hour window."""
        try:
            await asyncio.to_thread(self.client.message.send_text, openid, text)
        except WeChatClientException as exc:
            if exc.errcode == OUTSIDE_WINDOW:
                raise CustomerUnreachable(f"WeChat refused the message to {openid}: the customer's last "
                                          "message is more than 48 hours old (errcode 45015)") from exc
            raise
