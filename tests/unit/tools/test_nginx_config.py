"""The rendered nginx config: nginx accepts it, and the public server block passes on only the
customers' doors (the running config is tested in tests/integration/test_nginx.py)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tools.nginx import Nginx, render


def servers(text: str) -> tuple[str, str]:
    public, agents = text.split("    # AGENTS:")
    return public.split("    # PUBLIC:")[1], agents


def test_public_block_has_only_customer_doors_and_agents_block_the_console(tmp_path: Path) -> None:
    public, agents = servers(render(["127.0.0.1:5005"], ["127.0.0.1:8000"], "0.0.0.0:80", tmp_path,
                                    agents_listen="10.8.0.1:8081"))
    assert "listen 0.0.0.0:80;" in public and "listen 10.8.0.1:8081;" in agents
    assert set(re.findall(r"location (?:\^~ |= )?(\S+) \{", public)) == {
        "/webhooks/rest/", "/webhooks/callback/", "/webhooks/", "/socket.io/", "/widget/", "/widget", "/"}
    assert "console" not in public.replace("console and API", "") and "queue" not in public
    assert "/console/" in agents and "queue|cases|alerts" in agents and "/socket.io/" not in agents
    assert "|stats|reports|training|" in agents  # the statistics and trainer pages read them through it too
    assert "|models" not in agents and "/models" not in agents.replace("Not /models/", "")  # Rasa, on loopback, only


def test_one_address_for_both_audiences_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="must differ"):
        render(["127.0.0.1:5005"], ["127.0.0.1:8000"], "127.0.0.1:8080", tmp_path, agents_listen="127.0.0.1:8080")


@pytest.mark.skipif(shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists(), reason="no nginx")
def test_nginx_accepts_the_config(tmp_path: Path) -> None:
    Nginx(["127.0.0.1:5005"], ["127.0.0.1:8000"], 18080, prefix=tmp_path).prepare()
