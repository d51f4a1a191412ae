package probe

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
)

// TestRecordLayout checks record.go's offsets against the layout clang
// gave the records, read from the committed object's BTF.
func TestRecordLayout(t *testing.T) {
	spec, err := ebpf.LoadCollectionSpecFromReader(bytes.NewReader(object))
	if err != nil {
		t.Fatal(err)
	}
	offsets := func(name string) map[string]int {
		var s *btf.Struct
		if err := spec.Types.TypeByName(name, &s); err != nil {
			t.Fatalf("struct %s: %v", name, err)
		}
		m := map[string]int{"sizeof": int(s.Size)}
		for _, mb := range s.Members {
			m[mb.Name] = int(mb.Offset.Bytes())
		}
		return m
	}
	hdr, sys, x, fork := offsets("header"), offsets("sys_rec"), offsets("exec_rec"), offsets("fork_rec")
	for _, c := range []struct {
		what      string
		got, want int
	}{
		{"header.ts", offTS, hdr["ts"]}, {"header.kind", offKind, hdr["kind"]}, {"header.cpu", offCPU, hdr["cpu"]},
		{"header.pid", offPID, hdr["pid"]}, {"header.tid", offTID, hdr["tid"]}, {"header.nr", offNr, hdr["nr"]},
		{"header.size", offSize, hdr["size"]}, {"header.ret", offRet, hdr["ret"]}, {"header.uid", offUID, hdr["uid"]},
		{"header.gid", offGID, hdr["gid"]}, {"header.loginuid", offLoginUID, hdr["loginuid"]},
		{"header.cgroup", offCgroup, hdr["cgroup"]}, {"sizeof(header)", headerSize, hdr["sizeof"]},
		{"sys_rec.args", offArgs, sys["args"]}, {"sys_rec.ino", offIno, sys["ino"]}, {"sys_rec.dev", offDev, sys["dev"]},
		{"sys_rec.flags", offFlags, sys["flags"]}, {"sys_rec.walk_len", offWalkLen, sys["walk_len"]},
		{"sys_rec.len", offLen, sys["len"]}, {"sys_rec.addr_len", offAddrLen, sys["addr_len"]},
		{"sys_rec.sk", offSock, sys["sk"]}, {"sys_rec.addr", offAddr, sys["addr"]}, {"sys_rec.data", offSysData, sys["data"]},
		{"sizeof(sys_rec)", offSysData + 2*strMax + walkArea, sys["sizeof"]},
		{"exec_rec.ppid", offPPID, x["ppid"]}, {"exec_rec.vpgid", offVPGID, x["vpgid"]}, {"exec_rec.tty", offTTY, x["tty"]},
		{"exec_rec.flags", offExecFlags, x["flags"]}, {"exec_rec.cap_eff", offCapEff, x["cap_eff"]},
		{"exec_rec.start_time", offStart, x["start_time"]}, {"exec_rec.pidns_init_start", offPIDNSStart, x["pidns_init_start"]},
		{"exec_rec.exe_ino", offExeIno, x["exe_ino"]}, {"exec_rec.exe_mtime", offExeMtime, x["exe_mtime"]},
		{"exec_rec.comm", offComm, x["comm"]}, {"exec_rec.filename_len", offFilenameLen, x["filename_len"]},
		{"exec_rec.exe_len", offExeLen, x["exe_len"]}, {"exec_rec.data", offExecData, x["data"]},
		{"sizeof(exec_rec)", offExecData + strMax + argsMax + 2*walkArea, x["sizeof"]},
		{"fork_rec.child_pid", offChildPID, fork["child_pid"]}, {"fork_rec.ppid", offForkPPID, fork["ppid"]},
		{"fork_rec.start_time", offForkStart, fork["start_time"]}, {"fork_rec.comm", offForkComm, fork["comm"]},
		{"sizeof(fork_rec)", forkSize, fork["sizeof"]},
	} {
		if c.got != c.want {
			t.Errorf("%s: record.go says %d, the object %d", c.what, c.got, c.want)
		}
	}
}

// TestObjectUpToDate rebuilds the probe with gen.sh and fails when the
// committed object differs: probe.bpf.c (or vmlinux.h) changed without
// go generate. It needs Debian's clang and llvm (hack/test.sh installs
// them and sets PALISADE_REQUIRE_EBPF); elsewhere it is skipped.
func TestObjectUpToDate(t *testing.T) {
	for _, tool := range []string{"clang", "llvm-strip"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("PALISADE_REQUIRE_EBPF") != "" {
				t.Fatalf("%s is needed to rebuild the probe: %v", tool, err)
			}
			t.Skipf("%s not installed: cannot check the committed object", tool)
		}
	}
	out := filepath.Join(t.TempDir(), "probe.o")
	if b, err := exec.Command("./gen.sh", out).CombinedOutput(); err != nil {
		t.Fatalf("gen.sh: %v\n%s", err, b)
	}
	rebuilt, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rebuilt, object) {
		t.Fatalf("probe_bpfel.o is not what gen.sh builds from probe.bpf.c (%d bytes committed, %d rebuilt): run go generate ./internal/sensor/probe and commit the object", len(object), len(rebuilt))
	}
}
