"""Starts the real assistant (Redis, action server, Rasa with the trained model) once per run."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest

from bot.stack import Stack, free_port
from bot.train import model_path


class Customer:
    """A customer on the REST channel: each `say` returns the bot's reply texts."""

    def __init__(self, stack: Stack, sender: str) -> None:
        self.stack, self.sender = stack, sender

    def say(self, text: str) -> list[str]:
        body = json.dumps({"sender": self.sender, "message": text}).encode()
        request = urllib.request.Request(f"{self.stack.rasa_url}/webhooks/rest/webhook", data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return [m.get("text", "") for m in json.loads(response.read())]

    def tracker(self) -> dict[str, Any]:
        url = f"{self.stack.rasa_url}/conversations/{self.sender}/tracker?token={self.stack.auth_token}"
        with urllib.request.urlopen(url, timeout=30) as response:
            return json.loads(response.read())


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not Path(model_path()).exists():
        pytest.fail("no trained model: run `make train`")
    var = tmp_path_factory.mktemp("var")
    s = Stack(model=Path(model_path()), rasa_port=free_port(), action_port=free_port(),
              redis_url=f"redis://localhost:{free_port()}/0", var_dir=var)
    s.start()
    yield s
    s.stop()


@pytest.fixture()
def customer(stack: Stack, request: pytest.FixtureRequest) -> Customer:
    return Customer(stack, f"test-{request.node.name}")
