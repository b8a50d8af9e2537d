#!/usr/bin/env bash
# Create the virtual environment $2 with the Python $1 (3.10+). On Debian/Ubuntu, `python3 -m venv` needs the
# python3-venv package: install it as root, else say how.
set -euo pipefail
python="$1"
venv="$2"
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    echo "chaingrad needs Python 3.10 or newer; '$python' is $("$python" --version 2>&1 | head -n 1)." >&2
    echo "Pick another with: make PYTHON=python3.11 ..." >&2
    exit 1
fi
if "$python" -m venv "$venv" 2>/dev/null; then
    exit 0
fi
rm -rf "$venv"
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Python's venv module is missing: installing Debian's python3-venv package..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    "$python" -m venv "$venv" && exit 0
fi
echo "Could not create a virtual environment with '$python -m venv'. On Debian/Ubuntu run:" >&2
echo "  sudo apt-get install -y python3-venv" >&2
exit 1
