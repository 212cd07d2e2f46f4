"""`python -m connectors.wechat check`: checks the channel's section of credentials.yml and prints
what to enter in the WeChat admin console (基本配置 → 服务器配置), so a typo is found before WeChat's
own URL check fails without saying why (docs/wechat.md)."""

from __future__ import annotations

import argparse
import sys
from typing import Any, Dict, List, Optional

from connectors.wechat.credentials import SECTION, problems, webhook_url


def load_credentials(path: str) -> Dict[str, Any]:
    """The WeChatInput section of a credentials file, ${ENV} references expanded as Rasa does."""
    from rasa.shared.utils.io import read_config_file

    section = (read_config_file(path) or {}).get(SECTION)
    if not isinstance(section, dict):
        raise SystemExit(f"{path} has no `{SECTION}:` section (docs/wechat.md)")
    return section


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m connectors.wechat",
                                     description="Check the WeChat Official Account channel's configuration.")
    parser.add_argument("command", choices=("check",))
    parser.add_argument("--credentials", default="credentials.yml", help="file with the WeChatInput section")
    parser.add_argument("--public-url", help="the shop's public base URL (default: public_url in the section)")
    args = parser.parse_args(argv)
    section = load_credentials(args.credentials)
    found = problems(section)
    for problem in found:
        print(f"error: {problem}", file=sys.stderr)
    base = args.public_url or section.get("public_url")
    if not base:
        print("error: give --public-url (or public_url in the section): the address WeChat can reach",
              file=sys.stderr)
        return 1
    if not str(base).startswith(("http://", "https://")):
        print(f"error: {base} is not an http(s) URL", file=sys.stderr)
        return 1
    if found:
        return 1
    mode = "安全模式 (safe)" if section.get("encoding_aes_key") else "明文模式 (plain)"
    print(f"服务器地址(URL): {webhook_url(str(base))}")
    print(f"令牌(Token): {section['token']}")
    print(f"消息加解密方式: {mode}")
    print(f"AppID: {section['appid']}")
    return 0
