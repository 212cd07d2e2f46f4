"""`rasa run` with its API token kept off the command line.

A process's command line is world-readable (/proc/PID/cmdline, `ps aux`): `rasa run
--auth-token=…` hands Rasa's HTTP API (read and write every tracker, post messages as the bot) to
every local user. This wrapper is started with the other arguments only,

    python -m tools.rasa_run run --model models/shop.tar.gz --port 5005 --enable-api …

reads the token from RASA_TOKEN or var/secrets/rasa_token (core.secrets: 0600), adds
`--auth-token` to `sys.argv` inside the process and calls Rasa's own CLI entry point. Where the
command line does not say, it also binds RASA_HOST (not Rasa's default 0.0.0.0) and answers CORS
for CORS_ORIGINS (a systemd unit needs no list of its own). What the
kernel shows as the command line is what was exec'ed, so the token never appears there; Sanic's
workers are forked from this process and show the same, token-free, line.
"""

from __future__ import annotations

import sys
from typing import Optional, Sequence

from core.secrets import secret
from core.settings import Settings, load


def rasa_argv(args: Sequence[str], token: str, settings: Settings) -> list[str]:
    """The argv Rasa's CLI parses: ours, the bind address and origins if missing, the token. A
    token given on the command line is refused: it would be exactly the leak this wrapper exists
    to avoid."""
    if any(a in ("-t", "--auth-token") or a.startswith("--auth-token=") for a in args):
        raise SystemExit("tools.rasa_run: do not pass --auth-token; set RASA_TOKEN or let "
                         "var/secrets/rasa_token be made (core/secrets.py)")
    if not args or args[0] != "run":
        raise SystemExit("tools.rasa_run: usage: python -m tools.rasa_run run [rasa run arguments]")
    extra: list[str] = []
    if not any(a in ("-i", "--interface") or a.startswith("--interface=") for a in args):
        extra += ["--interface", settings.rasa_host]
    if "--cors" not in args:
        extra += ["--cors", *settings.cors_origins]
    # one argument `--auth-token=TOKEN`: a token may begin with "-" (token_urlsafe), which argparse
    # would take for an option if it came as a separate argument
    return ["rasa", *args, *extra, f"--auth-token={token}"]


def main(argv: Optional[Sequence[str]] = None) -> None:
    settings = load()
    sys.argv = rasa_argv(list(sys.argv[1:] if argv is None else argv), secret(settings, "rasa_token"), settings)
    from rasa.__main__ import main as rasa_main  # late: Rasa's import takes seconds

    rasa_main()


if __name__ == "__main__":
    main()
