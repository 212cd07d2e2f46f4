"""tools.stack.free_port: the ports the stacks of the tests, the benchmarks and `make run`'s helpers listen on."""

import random
import socket

import pytest

from tools.stack import ephemeral_floor, free_port


def test_a_free_port_is_outside_the_range_outgoing_connections_take_theirs_from() -> None:
    """A port the kernel can give an outgoing connection can be taken before the child binds it."""
    ports = {free_port() for _ in range(20)}
    assert len(ports) == 20  # never the same port twice in one run
    assert all(1024 <= port < ephemeral_floor() for port in ports)
    with socket.socket() as client:  # the kernel's own choice for an outgoing socket
        client.bind(("127.0.0.1", 0))
        assert client.getsockname()[1] >= ephemeral_floor()


def test_a_port_someone_listens_on_is_never_given(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        taken = listener.getsockname()[1]
        with socket.socket() as probe:  # a port free right now
            probe.bind(("", 0))
            other = probe.getsockname()[1]
        choices = iter([taken, taken, other])  # the chooser lands on the listener's port twice
        monkeypatch.setattr(random.SystemRandom, "randrange", lambda self, *bounds: next(choices))
        assert free_port() == other
