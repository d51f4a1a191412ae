// Package probe loads Palisade's eBPF syscall probe (probe.bpf.c, built by
// gen.sh into the committed probe_bpfel.o, so that go build needs no clang)
// and reads its records: syscall exits the loaded rules can match,
// filtered in the kernel by syscall number, and the scheduler's exec, fork
// and exit events that keep the process table. Records the ring buffer had
// no room for are counted per CPU (Drops).
//
// It needs Linux 5.8 or later with BTF (/sys/kernel/btf/vmlinux), on
// x86-64, and CAP_BPF with CAP_PERFMON (or CAP_SYS_ADMIN), plus
// CAP_SYS_RESOURCE on kernels that still charge BPF memory to RLIMIT_MEMLOCK.
package probe
