#!/usr/bin/env bash
# The eBPF toolchain for the sensor's probe (internal/sensor/probe): Debian's
# clang, llvm (llvm-strip), libbpf-dev (bpf_helpers.h and friends) and
# bpftool (vmlinux.h from the kernel's BTF). Installs them on first use.
# `go build` does not need them (the probe's object is committed); the
# drift test and `go generate ./internal/sensor/probe` do.
#
#   hack/ebpf.sh
set -euo pipefail

log() { echo "ebpf: $*" >&2; }
die() { log "$*"; exit 1; }

# shellcheck source=hack/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if ! command -v clang >/dev/null || ! command -v llvm-strip >/dev/null || ! command -v bpftool >/dev/null ||
	[ ! -f /usr/include/bpf/bpf_helpers.h ]; then
	log "installing Debian clang, llvm, libbpf-dev and bpftool"
	apt_install clang llvm libbpf-dev bpftool
fi
log "$(clang --version | head -1)"
