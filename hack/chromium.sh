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

# shellcheck source=hack/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ ! -x "$bin" ]; then
	log "installing Debian chromium"
	apt_install chromium
	[ -x "$bin" ] || die "chromium installed but $bin is missing"
fi
log "$("$bin" --version 2>/dev/null || echo "$bin")"
echo "$bin"
