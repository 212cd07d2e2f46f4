#!/usr/bin/env bash
# Builds everything the project needs on a fresh machine: Debian packages and a Python 3.10 venv.
# Idempotent: each step is skipped when its result is already there and up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}

need_apt=()
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
# nginx: the front of the multi-machine topology (deploy/nginx/, docs/topology.md); tools/nginx.py
# runs it as a plain child with its own prefix under var/, the system's service is not used.
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || need_apt+=(nginx)
# PostgreSQL server binaries: the end-to-end tests and the benchmark run a throwaway server.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
# Chromium for the browser tests (Playwright drives it through executable_path).
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
# A CJK font, so screenshots of Chinese pages show characters, not boxes.
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need_apt+=(fonts-wqy-microhei)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

find_python310() {
  for c in python3.10 "$(pyenv root 2>/dev/null)/versions/3.10.13/bin/python3.10" \
           "$HOME"/.pyenv/versions/3.10*/bin/python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10; do
    if [ -n "$c" ] && "$c" -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1; then
      echo "$c"; return 0
    fi
  done
  return 1
}

stamp="$VENV/.installed"
if [ ! -f "$stamp" ] || [ requirements.txt -nt "$stamp" ] || [ requirements-dev.txt -nt "$stamp" ] \
   || [ constraints.txt -nt "$stamp" ]; then
  py=$(find_python310) || { echo "setup: Python 3.10 not found (install it with pyenv: pyenv install 3.10.13)" >&2; exit 1; }
  [ -x "$VENV/bin/python" ] || "$py" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade "pip==24.0" "setuptools==70.3.0" "wheel==0.45.1"
  echo "setup: installing Python packages into $VENV (takes about 3 minutes the first time)"
  "$VENV/bin/python" -m pip install -q -r requirements.txt -r requirements-dev.txt -c constraints.txt
  touch "$stamp"
fi
