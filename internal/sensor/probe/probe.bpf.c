//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0)
//
// Palisade's syscall sensor: CO-RE programs on the raw syscall exit
// tracepoint and the scheduler's exec, fork and exit tracepoints. Each
// event the loaded rules can match goes to user space through one ring
// buffer; everything else is dropped here, before any copy. A record that
// does not fit in the ring buffer is counted per CPU (drops), never lost
// without a trace.
//
// Built by gen.sh (clang -target bpf against vmlinux.h, which bpftool dumps
// from /sys/kernel/btf/vmlinux); the object is committed as probe_bpfel.o.
// The record layouts below are mirrored by record.go.

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define KIND_SYSCALL 1
#define KIND_EXEC 2
#define KIND_FORK 3
#define KIND_EXIT 4

#define STR_MAX 256     // one user string (path, name)
#define NAME_MAX_ 256   // one path component
#define WALK_MAX 1024   // a walked path, components leaf first
#define WALK_AREA (WALK_MAX + NAME_MAX_)
#define ARGS_MAX 2048   // argv, NUL-separated
#define CGROUP_MAX 72   // the leaf cgroup's name
#define ADDR_MAX 112    // a socket address as the caller passed it
#define MAX_SYSCALLS 512

// Flags of a syscall record.
#define F_FILE 1        // ino, dev and the layer flags describe the result's file
#define F_UPPER 2       // the file is on an overlay's upper layer
#define F_LOWER 4       // ... or its lower layer
#define F_SOCK 8        // sk describes the socket of the call's descriptor
#define F_WALKED 16     // walk holds the result's resolved path
#define F_WALK_CUT 32   // the walk stopped before reaching the root
#define F_CREATED 64    // the open created the file

#define FMODE_CREATED 0x100000

// Flags of an exec record.
#define X_UPPER 1
#define X_LOWER 2
#define X_MEMFD 4
#define X_CWD_CUT 8
#define X_EXE_CUT 16

#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#define AT_FDCWD -100

struct header {
	__u64 ts;       // bpf_ktime_get_boot_ns
	__u32 kind;
	__u32 cpu;
	__u32 pid;      // the thread group (process) id
	__u32 tid;
	__u32 nr;       // syscall number
	__u32 size;     // bytes of this record
	__s64 ret;
	__u32 uid, gid, loginuid;
	__u32 pad;
	char cgroup[CGROUP_MAX];
};

struct sock_tuple {
	__u16 family;
	__u16 type;
	__u16 proto;
	__u16 lport;    // host byte order
	__u16 rport;
	__u16 pad[3];
	__u8 laddr[16];
	__u8 raddr[16];
};

struct sys_rec {
	struct header h;
	__u64 args[6];
	__u64 ino;
	__u32 dev;
	__u16 flags;
	__u16 walk_len;
	__u16 len[2];   // bytes of str[0] and str[1], NUL included
	__u16 addr_len;
	__u16 pad;
	struct sock_tuple sk;
	__u8 addr[ADDR_MAX];
	// Variable part: str[0] at 0, str[1] at STR_MAX, walk at 2*STR_MAX;
	// the record ends after the last part used.
	char data[2 * STR_MAX + WALK_AREA];
};

struct exec_rec {
	struct header h;
	__u32 ppid, vpid, vtid, sid, pgid, vpgid;
	__u32 tty;
	__u32 flags;
	__u64 cap_eff, cap_perm, cap_inh;
	__u64 start_time, pidns_init_start;
	__u64 exe_ino;
	__s64 exe_ctime, exe_mtime;
	char comm[16];
	__u16 filename_len, args_len, cwd_len, exe_len;
	// filename at 0, args at STR_MAX, cwd at STR_MAX+ARGS_MAX, exe after.
	char data[STR_MAX + ARGS_MAX + 2 * WALK_AREA];
};

struct fork_rec {
	struct header h;
	__u32 child_pid, child_tid;
	__u32 ppid, pad;
	__u64 start_time;
	char comm[16];
};

struct probe_config {
	__u32 self_pid;   // the sensor's own process: never reported
	__u32 path_filter; // 1: opens are reported only when path_wanted
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

// drops counts, per CPU, records the ring buffer had no room for.
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

// syscalls holds 1 for each syscall number the rules can match.
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_SYSCALLS);
	__type(key, __u32);
	__type(value, __u32);
} syscalls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct probe_config);
} settings SEC(".maps");

// filtered counts, per CPU, opens the path filter dropped.
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} filtered SEC(".maps");

// The path filter: an open is reported when its path has one of the
// prefixes in path_prefixes or, read backwards, one of the reversed
// suffixes in path_suffixes (longest-prefix-match tries keyed by bytes).
// User space fills them from the loaded rules (falco.PathFilter).
#define PATH_KEY_MAX 256 // the largest key data an LPM trie takes

struct path_key {
	__u32 prefixlen; // in bits
	__u8 data[PATH_KEY_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct path_key);
	__type(value, __u8);
} path_prefixes SEC(".maps"), path_suffixes SEC(".maps");

struct path_bufs {
	struct path_key fwd, rev;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct path_bufs);
} pathbuf SEC(".maps");

// scratch builds one record per CPU before it is copied to the ring.
union scratch {
	struct sys_rec sys;
	struct exec_rec exec;
	struct fork_rec fork;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, union scratch);
} scratch SEC(".maps");

static __always_inline void count(void *counter)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(counter, &zero);
	if (n)
		*n += 1;
}

// WAKEUP_BYTES is how much must wait in the ring before a record wakes
// the reader: waking it for every record (an interrupt and a context
// switch each) would cost more than the probe itself. The reader also
// polls the ring every few milliseconds (probe.PollInterval), so a lone
// record waits no longer than that.
#define WAKEUP_BYTES (256 << 10)

static __always_inline void emit(void *rec, __u32 size)
{
	__u64 flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= WAKEUP_BYTES ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_output(&events, rec, size, flags) != 0)
		count(&drops);
}

static __always_inline struct probe_config *get_config(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&settings, &zero);
}

static __always_inline bool is_self(__u32 pid)
{
	struct probe_config *c = get_config();
	return c && c->self_pid == pid;
}

// path_wanted reports whether an open of the user path at ptr passes the
// path filter, leaving in *n the bytes it read into pathbuf (NUL included)
// when the path fit, else 0: reading user memory is the dearest part of
// the filter, so a path that passes is not read twice. Only an absolute path without "//", "/." or ".." and not
// ending in '/' is judged (user space cleans paths, and such a path is
// already clean, so the rules' prefixes and suffixes apply to it as
// written); any other path, or one that cannot be read whole, passes.
static __always_inline bool path_wanted(struct path_bufs *b, __u64 ptr, long *n)
{
	*n = 0;
	if (!ptr)
		return true;
	long got = bpf_probe_read_user_str(b->fwd.data, PATH_KEY_MAX, (const void *)ptr);
	if (got <= 1 || got >= PATH_KEY_MAX)
		return true;
	*n = got;
	__u32 len = got - 1;
	if (b->fwd.data[0] != '/' || (len > 1 && b->fwd.data[(len - 1) & (PATH_KEY_MAX - 1)] == '/'))
		return true;
	__u8 prev = 0;
	for (__u32 i = 0; i < PATH_KEY_MAX - 1; i++) {
		if (i >= len)
			break;
		__u8 ch = b->fwd.data[i];
		if ((prev == '/' && (ch == '/' || ch == '.')) || (prev == '.' && ch == '.'))
			return true;
		b->rev.data[(len - 1 - i) & (PATH_KEY_MAX - 1)] = ch;
		prev = ch;
	}
	b->fwd.prefixlen = len * 8;
	if (bpf_map_lookup_elem(&path_prefixes, &b->fwd))
		return true;
	b->rev.prefixlen = len * 8;
	return bpf_map_lookup_elem(&path_suffixes, &b->rev) != NULL;
}

// cgcache remembers, per CPU, the last cgroup whose name was read: a
// thread's cgroup changes rarely, and reading the name is the dearest part
// of a record.
struct cgname {
	const void *kn;
	char name[CGROUP_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cgname);
} cgcache SEC(".maps");

// read_cgroup copies the name of the task's memory cgroup (the leaf that
// holds the container id on cgroup v1 and v2), or of its default-hierarchy
// cgroup when the memory controller is not there. The task is trusted (a
// tp_btf argument or bpf_get_current_task_btf), so fields are loaded
// directly rather than through bpf_probe_read_kernel.
static __always_inline void read_cgroup(struct task_struct *t, char *dst)
{
	struct css_set *cs = t->cgroups;
	struct cgroup *cg = NULL;
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, memory_cgrp_id)) {
		struct cgroup_subsys_state *css = cs->subsys[bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id)];
		if (css)
			cg = css->cgroup;
	}
	if (!cg)
		cg = cs->dfl_cgrp;
	struct kernfs_node *kn = cg ? cg->kn : NULL;
	__u32 zero = 0;
	struct cgname *c = bpf_map_lookup_elem(&cgcache, &zero);
	if (c && kn && c->kn == kn) {
		__builtin_memcpy(dst, c->name, CGROUP_MAX);
		return;
	}
	const char *name = kn ? kn->name : NULL;
	if (!name || bpf_probe_read_kernel_str(dst, CGROUP_MAX, name) < 0)
		dst[0] = 0;
	if (c) {
		c->kn = kn;
		__builtin_memcpy(c->name, dst, CGROUP_MAX);
	}
}

static __always_inline void fill_header(struct header *h, struct task_struct *t, __u32 kind)
{
	__u64 id = bpf_get_current_pid_tgid();
	h->ts = bpf_ktime_get_boot_ns();
	h->kind = kind;
	h->cpu = bpf_get_smp_processor_id();
	h->pid = id >> 32;
	h->tid = (__u32)id;
	const struct cred *cred = t->cred;
	h->uid = cred->euid.val;
	h->gid = cred->egid.val;
	h->loginuid = (__u32)-1;
	if (bpf_core_field_exists(t->loginuid))
		h->loginuid = t->loginuid.val;
	read_cgroup(t, h->cgroup);
}

// walk_path writes the components of p, leaf first, each ended by a NUL,
// up to root (the task's root: a container's path stays inside it). It
// crosses mount points. The length is returned; *cut is set when the
// walk stopped early.
static __always_inline __u32 walk_path(struct path *p, struct path *root, char *buf, bool *cut)
{
	struct dentry *d = BPF_CORE_READ(p, dentry);
	struct vfsmount *vm = BPF_CORE_READ(p, mnt);
	struct mount *mnt = container_of(vm, struct mount, mnt);
	struct dentry *root_d = BPF_CORE_READ(root, dentry);
	struct vfsmount *root_m = BPF_CORE_READ(root, mnt);
	__u32 off = 0;
	*cut = true;
	for (int i = 0; i < 40; i++) {
		if (d == root_d && vm == root_m) {
			*cut = false;
			break;
		}
		struct dentry *parent = BPF_CORE_READ(d, d_parent);
		if (d == BPF_CORE_READ(vm, mnt_root) || d == parent) {
			struct mount *up = BPF_CORE_READ(mnt, mnt_parent);
			if (up == mnt) { // the namespace's root
				*cut = false;
				break;
			}
			d = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = up;
			vm = (struct vfsmount *)__builtin_preserve_access_index(&up->mnt);
			continue;
		}
		if (off >= WALK_MAX)
			break;
		const unsigned char *name = BPF_CORE_READ(d, d_name.name);
		long n = bpf_probe_read_kernel_str(buf + (off & (WALK_MAX - 1)), NAME_MAX_, name);
		if (n <= 0)
			break;
		off += n;
		d = parent;
	}
	return off > WALK_MAX ? WALK_MAX : off;
}

static __always_inline struct file *fd_file(struct task_struct *t, long fd)
{
	struct fdtable *fdt = t->files->fdt;
	unsigned int max = fdt->max_fds;
	if (fd < 0 || fd >= max)
		return NULL;
	struct file **fds = fdt->fd;
	struct file *f = NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

// overlay says on which layer of an overlay file system a file lies:
// F_UPPER, F_LOWER, or 0 when it is not on one. An overlay inode is the
// vfs_inode of struct ovl_inode, followed by its upper dentry.
static __always_inline __u16 overlay(struct dentry *d)
{
	if (BPF_CORE_READ(d, d_sb, s_magic) != OVERLAYFS_SUPER_MAGIC)
		return 0;
	struct inode *inode = BPF_CORE_READ(d, d_inode);
	struct ovl_inode *oi = container_of(inode, struct ovl_inode, vfs_inode);
	struct dentry *upper = BPF_CORE_READ(oi, __upperdentry);
	if (upper && BPF_CORE_READ(upper, d_inode))
		return F_UPPER;
	return F_LOWER;
}

static __always_inline void read_sock(struct file *f, struct sock_tuple *st)
{
	struct socket *sock = BPF_CORE_READ(f, private_data);
	struct sock *sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return;
	st->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	st->type = BPF_CORE_READ(sk, sk_type);
	st->proto = BPF_CORE_READ(sk, sk_protocol);
	st->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	st->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (st->family == 2) { // AF_INET
		bpf_core_read(st->laddr, 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_core_read(st->raddr, 4, &sk->__sk_common.skc_daddr);
	} else if (st->family == 10) { // AF_INET6
		bpf_core_read(st->laddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(st->raddr, 16, &sk->__sk_common.skc_v6_daddr);
	}
}

// describe_fd fills what the record says of the descriptor fd: a socket's
// tuple, or a file's inode, device and layer (and, with walk, its
// resolved path).
static __always_inline void describe_fd(struct sys_rec *r, struct task_struct *t, long fd, bool walk)
{
	struct file *f = fd_file(t, fd);
	if (!f)
		return;
	struct inode *inode = BPF_CORE_READ(f, f_inode);
	__u16 mode = BPF_CORE_READ(inode, i_mode);
	if ((mode & S_IFMT) == S_IFSOCK) {
		read_sock(f, &r->sk);
		r->flags |= F_SOCK;
		return;
	}
	r->ino = BPF_CORE_READ(inode, i_ino);
	r->dev = BPF_CORE_READ(inode, i_sb, s_dev);
	struct dentry *d = BPF_CORE_READ(f, f_path.dentry);
	r->flags |= F_FILE | overlay(d);
	if (BPF_CORE_READ(f, f_mode) & FMODE_CREATED)
		r->flags |= F_CREATED;
	if (walk) {
		struct path p = BPF_CORE_READ(f, f_path);
		struct path root = BPF_CORE_READ(t, fs, root);
		bool cut;
		r->walk_len = walk_path(&p, &root, &r->data[2 * STR_MAX], &cut);
		r->flags |= F_WALKED | (cut ? F_WALK_CUT : 0);
	}
}

static __always_inline __u16 read_str(char *dst, __u64 ptr)
{
	if (!ptr)
		return 0;
	long n = bpf_probe_read_user_str(dst, STR_MAX, (const void *)ptr);
	return n > 0 ? n : 0;
}

static __always_inline __u16 read_addr(__u8 *dst, __u64 ptr, __u64 len)
{
	if (!ptr || len == 0)
		return 0;
	if (len > ADDR_MAX)
		len = ADDR_MAX;
	// The mask only shows the verifier a bound (len is at most ADDR_MAX).
	if (bpf_probe_read_user(dst, len & 0x7f, (const void *)ptr) < 0)
		return 0;
	return len;
}

// The x86-64 syscall numbers decoded here; the others the rules can match
// are reported with their arguments only.
enum {
	NR_open = 2, NR_close = 3, NR_dup = 32, NR_dup2 = 33, NR_socket = 41, NR_connect = 42,
	NR_accept = 43, NR_sendto = 44, NR_sendmsg = 46, NR_bind = 49, NR_listen = 50,
	NR_chdir = 80, NR_fchdir = 81, NR_rename = 82, NR_mkdir = 83, NR_rmdir = 84,
	NR_link = 86, NR_unlink = 87, NR_symlink = 88, NR_chmod = 90, NR_fchmod = 91,
	NR_ptrace = 101, NR_mount = 165, NR_umount2 = 166, NR_init_module = 175,
	NR_openat = 257, NR_mkdirat = 258, NR_unlinkat = 263, NR_renameat = 264, NR_linkat = 265,
	NR_symlinkat = 266, NR_fchmodat = 268, NR_accept4 = 288, NR_dup3 = 292,
	NR_finit_module = 313, NR_renameat2 = 316, NR_memfd_create = 319, NR_openat2 = 437,
};

// report_syscall reports the syscall nr that returned ret, its arguments
// in regs.
static __always_inline int report_syscall(struct pt_regs *regs, long ret, __u32 nr)
{
	struct probe_config *c = get_config();
	if (!c || c->self_pid == bpf_get_current_pid_tgid() >> 32)
		return 0;
	__u32 zero = 0;
	// The path of an open, once read by the filter.
	struct path_bufs *pb = NULL;
	long path_len = 0;
	if ((nr == NR_open || nr == NR_openat || nr == NR_openat2) && c->path_filter) {
		pb = bpf_map_lookup_elem(&pathbuf, &zero);
		if (pb && !path_wanted(pb, nr == NR_open ? regs->di : regs->si, &path_len)) {
			count(&filtered);
			return 0;
		}
	}
	union scratch *s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return 0;
	struct sys_rec *r = &s->sys;
	struct task_struct *t = (struct task_struct *)bpf_get_current_task_btf();
	fill_header(&r->h, t, KIND_SYSCALL);
	r->h.nr = nr;
	r->h.ret = ret;
	r->args[0] = regs->di;
	r->args[1] = regs->si;
	r->args[2] = regs->dx;
	r->args[3] = regs->r10;
	r->args[4] = regs->r8;
	r->args[5] = regs->r9;
	r->ino = 0;
	r->dev = 0;
	r->flags = 0;
	r->walk_len = 0;
	r->len[0] = 0;
	r->len[1] = 0;
	r->addr_len = 0;
	__builtin_memset(&r->sk, 0, sizeof(r->sk));

	switch (nr) {
	case NR_open:
	case NR_openat:
	case NR_openat2: {
		__u64 path = nr == NR_open ? r->args[0] : r->args[1];
		if (pb && path_len > 0 && path_len < PATH_KEY_MAX && bpf_probe_read_kernel(&r->data[0], path_len & (PATH_KEY_MAX - 1), pb->fwd.data) == 0)
			r->len[0] = path_len;
		else
			r->len[0] = read_str(&r->data[0], path);
		if (ret >= 0) {
			// A relative path is resolved by walking the opened file.
			bool walk = r->len[0] > 0 && r->data[0] != '/';
			describe_fd(r, t, ret, walk);
		}
		if (nr == NR_openat2 && r->args[2]) {
			struct open_how how = {};
			bpf_probe_read_user(&how, sizeof(how), (const void *)r->args[2]);
			r->args[2] = how.flags;
			r->args[3] = how.mode;
		}
		break;
	}
	case NR_chdir:
	case NR_rmdir:
	case NR_unlink:
	case NR_chmod:
	case NR_mkdir:
	case NR_memfd_create:
		r->len[0] = read_str(&r->data[0], r->args[0]);
		break;
	case NR_unlinkat:
	case NR_fchmodat:
	case NR_mkdirat:
		r->len[0] = read_str(&r->data[0], r->args[1]);
		break;
	case NR_rename:
	case NR_link:
	case NR_symlink:
		r->len[0] = read_str(&r->data[0], r->args[0]);
		r->len[1] = read_str(&r->data[STR_MAX], r->args[1]);
		break;
	case NR_renameat:
	case NR_renameat2:
	case NR_linkat:
		r->len[0] = read_str(&r->data[0], r->args[1]);
		r->len[1] = read_str(&r->data[STR_MAX], r->args[3]);
		break;
	case NR_symlinkat:
		r->len[0] = read_str(&r->data[0], r->args[0]);
		r->len[1] = read_str(&r->data[STR_MAX], r->args[2]);
		break;
	case NR_mount:
		r->len[0] = read_str(&r->data[0], r->args[0]);
		r->len[1] = read_str(&r->data[STR_MAX], r->args[1]);
		break;
	case NR_umount2:
		r->len[0] = read_str(&r->data[0], r->args[0]);
		break;
	case NR_init_module:
		r->len[0] = read_str(&r->data[0], r->args[2]);
		break;
	case NR_finit_module:
		r->len[0] = read_str(&r->data[0], r->args[1]);
		describe_fd(r, t, r->args[0], true);
		break;
	case NR_socket:
		if (ret >= 0)
			describe_fd(r, t, ret, false);
		break;
	case NR_connect:
	case NR_bind:
		r->addr_len = read_addr(r->addr, r->args[1], r->args[2]);
		describe_fd(r, t, r->args[0], false);
		break;
	case NR_sendto:
		r->addr_len = read_addr(r->addr, r->args[4], r->args[5]);
		describe_fd(r, t, r->args[0], false);
		break;
	case NR_accept:
	case NR_accept4:
		if (ret >= 0)
			describe_fd(r, t, ret, false);
		break;
	case NR_listen:
	case NR_sendmsg:
	case NR_fchmod:
	case NR_fchdir:
	case NR_dup:
	case NR_dup2:
	case NR_dup3:
	case NR_close:
		describe_fd(r, t, r->args[0], nr == NR_fchdir || nr == NR_fchmod);
		break;
	}

	__u32 size = offsetof(struct sys_rec, data);
	if (r->flags & F_WALKED)
		size += 2 * STR_MAX + r->walk_len;
	else if (r->len[1])
		size += STR_MAX + r->len[1];
	else
		size += r->len[0];
	if (size > sizeof(*r))
		size = sizeof(*r);
	r->h.size = size;
	emit(r, size);
	return 0;
}

// sys_exit sees every syscall's exit and reports those selected in the
// syscalls map. (fentry/fexit programs on the selected syscalls alone
// would spare the others the kernel's slow exit path, but the kernels
// this is tested on refuse them: see docs/performance.md.)
SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	__u32 nr = regs->orig_ax;
	if (nr >= MAX_SYSCALLS)
		return 0;
	__u32 *want = bpf_map_lookup_elem(&syscalls, &nr);
	if (!want || !*want)
		return 0;
	return report_syscall(regs, ret, nr);
}

static __always_inline __u32 vnr(struct pid *p)
{
	if (!p)
		return 0;
	unsigned int level = BPF_CORE_READ(p, level);
	struct upid u = {};
	bpf_core_read(&u, sizeof(u), &p->numbers[level & 31]);
	return u.nr;
}

static __always_inline __u32 tty_nr(struct task_struct *t)
{
	struct tty_struct *tty = BPF_CORE_READ(t, signal, tty);
	if (!tty)
		return 0;
	int index = BPF_CORE_READ(tty, index);
	int major = BPF_CORE_READ(tty, driver, major);
	int minor = BPF_CORE_READ(tty, driver, minor_start) + index;
	return (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12);
}

static __always_inline __s64 ctime_ns(struct inode *i)
{
	if (bpf_core_field_exists(i->i_ctime_sec))
		return BPF_CORE_READ(i, i_ctime_sec) * 1000000000LL + BPF_CORE_READ(i, i_ctime_nsec);
	return 0;
}

static __always_inline __s64 mtime_ns(struct inode *i)
{
	if (bpf_core_field_exists(i->i_mtime_sec))
		return BPF_CORE_READ(i, i_mtime_sec) * 1000000000LL + BPF_CORE_READ(i, i_mtime_nsec);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(sched_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 zero = 0;
	union scratch *s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return 0;
	struct exec_rec *r = &s->exec;
	struct task_struct *t = (struct task_struct *)bpf_get_current_task_btf();
	if (is_self(bpf_get_current_pid_tgid() >> 32))
		return 0;
	fill_header(&r->h, t, KIND_EXEC);
	r->h.nr = 0;
	r->h.ret = 0;
	r->ppid = BPF_CORE_READ(t, real_parent, tgid);
	r->vpid = vnr(BPF_CORE_READ(t, group_leader, thread_pid));
	r->vtid = vnr(BPF_CORE_READ(t, thread_pid));
	r->sid = vnr(BPF_CORE_READ(t, signal, pids[PIDTYPE_SID]));
	r->pgid = 0;
	struct pid *pg = BPF_CORE_READ(t, signal, pids[PIDTYPE_PGID]);
	if (pg)
		r->pgid = BPF_CORE_READ(pg, numbers[0].nr);
	r->vpgid = vnr(pg);
	r->tty = tty_nr(t);
	r->cap_eff = BPF_CORE_READ(t, cred, cap_effective.val);
	r->cap_perm = BPF_CORE_READ(t, cred, cap_permitted.val);
	r->cap_inh = BPF_CORE_READ(t, cred, cap_inheritable.val);
	r->start_time = BPF_CORE_READ(t, group_leader, start_boottime);
	r->pidns_init_start = 0;
	struct pid_namespace *ns = BPF_CORE_READ(t, nsproxy, pid_ns_for_children);
	if (ns)
		r->pidns_init_start = BPF_CORE_READ(ns, child_reaper, start_boottime);
	bpf_probe_read_kernel_str(r->comm, sizeof(r->comm), t->comm);

	r->filename_len = 0;
	long n = bpf_probe_read_kernel_str(&r->data[0], STR_MAX, BPF_CORE_READ(bprm, filename));
	if (n > 0)
		r->filename_len = n;

	r->args_len = 0;
	struct mm_struct *mm = BPF_CORE_READ(t, mm);
	unsigned long start = BPF_CORE_READ(mm, arg_start), end = BPF_CORE_READ(mm, arg_end);
	if (end > start) {
		unsigned long len = end - start;
		if (len > ARGS_MAX)
			len = ARGS_MAX;
		// The mask only shows the verifier a bound (len is at most
		// ARGS_MAX, and the record has room for 4 KiB from there).
		if (bpf_probe_read_user(&r->data[STR_MAX], len & 0xfff, (void *)start) == 0)
			r->args_len = len;
	}

	bool cut;
	struct path root = BPF_CORE_READ(t, fs, root);
	struct path pwd = BPF_CORE_READ(t, fs, pwd);
	r->flags = 0;
	r->cwd_len = walk_path(&pwd, &root, &r->data[STR_MAX + ARGS_MAX], &cut);
	if (cut)
		r->flags |= X_CWD_CUT;

	struct file *exe = BPF_CORE_READ(mm, exe_file);
	r->exe_len = 0;
	r->exe_ino = 0;
	r->exe_ctime = 0;
	r->exe_mtime = 0;
	if (exe) {
		struct path ep = BPF_CORE_READ(exe, f_path);
		r->exe_len = walk_path(&ep, &root, &r->data[STR_MAX + ARGS_MAX + WALK_AREA], &cut);
		if (cut)
			r->flags |= X_EXE_CUT;
		struct dentry *d = ep.dentry;
		__u16 layer = overlay(d);
		if (layer == F_UPPER)
			r->flags |= X_UPPER;
		else if (layer == F_LOWER)
			r->flags |= X_LOWER;
		char prefix[6] = {};
		bpf_probe_read_kernel(prefix, sizeof(prefix), BPF_CORE_READ(d, d_name.name));
		if (prefix[0] == 'm' && prefix[1] == 'e' && prefix[2] == 'm' && prefix[3] == 'f' && prefix[4] == 'd' && prefix[5] == ':')
			r->flags |= X_MEMFD;
		struct inode *inode = BPF_CORE_READ(exe, f_inode);
		r->exe_ino = BPF_CORE_READ(inode, i_ino);
		r->exe_ctime = ctime_ns(inode);
		r->exe_mtime = mtime_ns(inode);
	}
	__u32 size = sizeof(*r);
	r->h.size = size;
	emit(r, size);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(sched_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 cpid = BPF_CORE_READ(child, tgid), ctid = BPF_CORE_READ(child, pid);
	if (cpid != ctid) // a new thread, not a new process
		return 0;
	if (is_self(bpf_get_current_pid_tgid() >> 32))
		return 0;
	__u32 zero = 0;
	union scratch *s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return 0;
	struct fork_rec *r = &s->fork;
	struct task_struct *t = (struct task_struct *)bpf_get_current_task_btf();
	fill_header(&r->h, t, KIND_FORK);
	r->h.nr = 0;
	r->h.ret = 0;
	r->child_pid = cpid;
	r->child_tid = ctid;
	r->ppid = BPF_CORE_READ(child, real_parent, tgid);
	r->pad = 0;
	r->start_time = BPF_CORE_READ(child, start_boottime);
	bpf_probe_read_kernel_str(r->comm, sizeof(r->comm), child->comm);
	r->h.size = sizeof(*r);
	emit(r, sizeof(*r));
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_exit, struct task_struct *p)
{
	__u32 pid = BPF_CORE_READ(p, tgid), tid = BPF_CORE_READ(p, pid);
	if (pid != tid) // a thread, not the process
		return 0;
	struct header h = {};
	h.ts = bpf_ktime_get_boot_ns();
	h.kind = KIND_EXIT;
	h.cpu = bpf_get_smp_processor_id();
	h.pid = pid;
	h.tid = tid;
	h.size = sizeof(h);
	emit(&h, sizeof(h));
	return 0;
}
