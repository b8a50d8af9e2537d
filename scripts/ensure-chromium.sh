#!/usr/bin/env bash
# Make sure a headless-capable Chromium is on PATH for the docs site's browser test: install Debian's chromium
# package as root on Debian/Ubuntu, else say how. The test never downloads a browser of its own.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Chromium is missing: installing Debian's chromium package (the docs site's browser test needs it)..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    command -v chromium >/dev/null 2>&1 && exit 0
fi
cat >&2 <<'MSG'
Chromium is needed by the browser test of the documentation site (tests/test_docs_site.py). Install it with:
  Debian/Ubuntu:  sudo apt-get update && sudo apt-get install -y chromium
MSG
exit 1
