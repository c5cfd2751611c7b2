#!/usr/bin/env bash
# Create or refresh .venv with a Python >= 3.12 (Django 6 needs it) and the pinned requirements.
# Sourced by the Makefile targets; idempotent and quick when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."

ok_python() { [ -n "$1" ] && "$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; }

find_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3; do
    if ok_python "$candidate"; then command -v "$candidate" || echo "$candidate"; return; fi
  done
  # pyenv shims refuse versions that are not selected, so ask pyenv for its install paths.
  local root
  root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
  for candidate in $(ls -d "$root"/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -V -r); do
    if ok_python "$candidate"; then echo "$candidate"; return; fi
  done
  return 1
}

if ! ok_python .venv/bin/python; then
  if ! PY=$(find_python); then
    echo "error: Django 6 needs Python 3.12 or newer and none was found." >&2
    echo "Install one (e.g. 'pyenv install 3.13') or set PYTHON=/path/to/python3.12." >&2
    exit 1
  fi
  echo "Creating .venv with $("$PY" --version) ($PY)"
  rm -rf .venv
  "$PY" -m venv .venv
fi

# Reinstall only when the requirement files changed.
stamp=.venv/.requirements-stamp
digest=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$digest" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -r requirements-dev.txt
  echo "$digest" > "$stamp"
fi
