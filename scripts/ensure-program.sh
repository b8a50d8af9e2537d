#!/usr/bin/env bash
# Make sure a system program is on PATH: install its Debian package as root on Debian/Ubuntu, else say how.
# usage: ensure-program.sh PROGRAM DEBIAN_PACKAGE "what needs it" ["another way to install it" ...]
set -euo pipefail
program=$1 package=$2 why=$3
shift 3
if command -v "$program" >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "'$program' is missing: installing Debian's $package package ($why)..."
    apt-get update -qq || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null || true
    command -v "$program" >/dev/null 2>&1 && exit 0
fi
{
    echo "'$program' is needed: $why. Install it with one of:"
    echo "  Debian/Ubuntu:  sudo apt-get update && sudo apt-get install -y $package"
    for other in "$@"; do
        echo "  $other"
    done
} >&2
exit 1
