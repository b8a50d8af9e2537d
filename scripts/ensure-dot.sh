#!/usr/bin/env bash
# Make sure Graphviz's `dot` is on PATH: install it as root on Debian/Ubuntu, else say how.
set -euo pipefail
if command -v dot >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Graphviz's 'dot' is missing: installing Debian's graphviz package..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null
    command -v dot >/dev/null 2>&1 && exit 0
fi
cat >&2 <<'MSG'
Graphviz's 'dot' program is needed to render computation graphs. Install it with one of:
  Debian/Ubuntu:  sudo apt-get install -y graphviz
  macOS:          brew install graphviz
  conda:          conda install -c conda-forge graphviz
MSG
exit 1
