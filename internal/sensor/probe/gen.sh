#!/usr/bin/env bash
# Builds probe_bpfel.o from probe.bpf.c with Debian's clang, against
# vmlinux.h. With --vmlinux, first dumps vmlinux.h again from this kernel's
# BTF (bpftool). The output is reproducible: the drift test (probe_test.go)
# rebuilds the object and compares it with the committed one.
#   internal/sensor/probe/gen.sh [--vmlinux] [OUT]
set -euo pipefail
cd "$(dirname "$0")"
if [ "${1:-}" = --vmlinux ]; then
  shift
  bpftool btf dump file /sys/kernel/btf/vmlinux format c >vmlinux.h
fi
out=${1:-probe_bpfel.o}
clang -g -O2 -Wall -Werror -target bpf -D__TARGET_ARCH_x86 -mcpu=v3 \
  -fno-ident -fdebug-prefix-map="$PWD"=. -fdebug-compilation-dir=. \
  -I/usr/include/x86_64-linux-gnu -c probe.bpf.c -o "$out.tmp"
# Keep BTF (CO-RE needs it), drop DWARF: as bpf2go does.
llvm-strip -g "$out.tmp"
mv "$out.tmp" "$out"
