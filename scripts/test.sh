#!/usr/bin/env bash
# Set up everything the test suite needs on a fresh machine, then run it.
# Idempotent: re-running skips what is already installed.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "note: /usr/bin/chromium is missing and we are not root; browser tests will be skipped" >&2
  fi
fi

# 7z, RAR and tar.zst archives are read through libarchive (Python binding: libarchive-c)
if ! ldconfig -p 2>/dev/null | grep -q 'libarchive\.so\.13'; then
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libarchive13 >/dev/null \
      || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libarchive13t64 >/dev/null
  else
    echo "note: libarchive13 is missing and we are not root; 7z and RAR extraction will fail" >&2
  fi
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
# torch is pinned to the CPU build in the bench extra; "all" = data + site + bench + test.
.venv/bin/python -m pip install -q -e ".[all]"

if [ -n "${USREG_SETUP_ONLY:-}" ]; then
  exit 0
fi
exec .venv/bin/python -m pytest "$@"
