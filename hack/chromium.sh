#!/usr/bin/env bash
# Debian's chromium for the console's browser tests (internal/console/ui):
# installs the package on first use and prints the binary's path.
#
#   hack/chromium.sh
#
# The tests drive /usr/bin/chromium headless through the DevTools protocol
# (chromedp); no driver package is needed.
set -euo pipefail

bin=/usr/bin/chromium

log() { echo "chromium: $*" >&2; }
die() { log "$*"; exit 1; }

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if [ ! -x "$bin" ]; then
	log "installing Debian chromium"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 ||
		{ as_root apt-get update -qq >/dev/null && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } ||
		die "could not install chromium"
	[ -x "$bin" ] || die "chromium installed but $bin is missing"
fi
log "$("$bin" --version 2>/dev/null || echo "$bin")"
echo "$bin"
