"""A real, throwaway PostgreSQL server for tests: what several machines share in production.

The server binaries come from PG_BIN, /usr/lib/postgresql/15/bin (Debian's postgresql-15) or
PATH. PostgreSQL refuses to run as root, so under root the server runs as the `postgres` OS
user (or `nobody`) with its data in a fresh directory that user owns.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import psycopg2

from tools.stack import free_port

CANDIDATE_BINS = ("/usr/lib/postgresql/15/bin",)
DATABASE = "shop"


def find_bin() -> Path:
    candidates = [os.environ.get("PG_BIN", ""), *CANDIDATE_BINS]
    candidates += sorted((str(p) for p in Path("/usr/lib/postgresql").glob("*/bin")), reverse=True)
    on_path = shutil.which("initdb")
    candidates += [str(Path(on_path).parent)] if on_path else []
    for candidate in filter(None, candidates):
        if (Path(candidate) / "initdb").exists() and (Path(candidate) / "postgres").exists():
            return Path(candidate)
    raise RuntimeError(
        "PostgreSQL server binaries (initdb, postgres) not found in PG_BIN, "
        f"{', '.join(CANDIDATE_BINS)} or PATH: install them (apt-get install postgresql-15) or set PG_BIN"
    )


def _server_user() -> Optional[pwd.struct_passwd]:
    """None when we are not root and can run the server ourselves."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise RuntimeError("running as root and neither a 'postgres' nor a 'nobody' user exists to run PostgreSQL")


def start_postgres(tmpdir: Optional[Path] = None) -> tuple[str, Callable[[], None]]:
    """Starts a server on a free port; returns its SQLAlchemy URL and a function that stops it."""
    bin_dir = find_bin()
    user = _server_user()
    # pytest's tmp dirs are private to root: the server user could not reach a data dir inside them.
    base = Path(tempfile.mkdtemp(prefix="handoff-pg-", dir=None if user else tmpdir))
    as_user: dict[str, Any] = {}
    if user is not None:
        os.chown(base, user.pw_uid, user.pw_gid)
        as_user = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
    env = {**os.environ, "HOME": str(base), "LC_ALL": "C"}
    data, log = base / "data", base / "server.log"

    def run(*cmd: str) -> None:
        done = subprocess.run(cmd, cwd=base, env=env, capture_output=True, text=True, **as_user)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")

    run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale",
        "--no-sync")
    port = free_port()
    with open(log, "wb") as log_file:
        server = subprocess.Popen(
            [str(bin_dir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(base),
             "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
             "-c", "full_page_writes=off", "-c", "max_connections=200"],
            cwd=base, env=env, stdout=log_file, stderr=subprocess.STDOUT, **as_user,
        )

    def stop() -> None:
        if server.poll() is None:
            server.send_signal(2)  # SIGINT: PostgreSQL's fast shutdown
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        shutil.rmtree(base, ignore_errors=True)

    try:
        _wait_and_create_database(port, server, log)
    except BaseException:
        stop()
        raise
    return f"postgresql+psycopg2://postgres@127.0.0.1:{port}/{DATABASE}", stop


def _wait_and_create_database(port: int, server: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"PostgreSQL exited with code {server.returncode}:\n{log.read_text(errors='replace')}")
        try:
            connection = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres")
            break
        except psycopg2.OperationalError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL did not accept connections in {timeout:g} s") from None
            time.sleep(0.2)
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {DATABASE}")
    finally:
        connection.close()


@contextlib.contextmanager
def postgres(tmpdir: Optional[Path] = None) -> Iterator[str]:
    url, stop = start_postgres(tmpdir)
    try:
        yield url
    finally:
        stop()
