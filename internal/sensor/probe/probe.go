package probe

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"github.com/cilium/ebpf/rlimit"
)

//go:generate ./gen.sh

//go:embed probe_bpfel.o
var object []byte

// DefaultRingBytes is the ring buffer's default size.
const DefaultRingBytes = 8 << 20

// Options configure Load.
type Options struct {
	// RingBytes is the ring buffer's size: a power of two, a multiple of
	// the page size. Zero means DefaultRingBytes.
	RingBytes int
	// IgnorePID is a process whose syscalls are never reported (the
	// sensor's own); zero reports every process.
	IgnorePID int
}

// Probe is the loaded and attached probe.
type Probe struct {
	coll  *ebpf.Collection
	links []link.Link
	rd    *ringbuf.Reader
}

// programs are the probe's programs, each attached to the tracepoint of
// its section name.
var programs = []string{"sys_exit", "sched_exec", "sched_fork", "sched_exit"}

// Load loads the probe into the kernel and attaches it. No syscall is
// reported until SetSyscalls selects some; exec, fork and exit are
// reported from the start.
func Load(opts Options) (*Probe, error) {
	if opts.RingBytes == 0 {
		opts.RingBytes = DefaultRingBytes
	}
	if opts.RingBytes < os.Getpagesize() || opts.RingBytes&(opts.RingBytes-1) != 0 {
		return nil, fmt.Errorf("ring buffer size %d: want a power of two of at least %d", opts.RingBytes, os.Getpagesize())
	}
	// Kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK.
	if err := rlimit.RemoveMemlock(); err != nil {
		return nil, fmt.Errorf("raising the locked-memory limit for BPF: %w", err)
	}
	spec, err := ebpf.LoadCollectionSpecFromReader(bytes.NewReader(object))
	if err != nil {
		return nil, fmt.Errorf("reading the probe's object: %w", err)
	}
	spec.Maps["events"].MaxEntries = uint32(opts.RingBytes)
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		var verr *ebpf.VerifierError
		if errors.As(err, &verr) {
			return nil, fmt.Errorf("loading the probe: %+v", verr)
		}
		return nil, fmt.Errorf("loading the probe: %w", err)
	}
	p := &Probe{coll: coll}
	if err := p.coll.Maps["settings"].Put(uint32(0), probeConfig{SelfPID: uint32(opts.IgnorePID)}); err != nil {
		p.Close()
		return nil, fmt.Errorf("configuring the probe: %w", err)
	}
	for _, name := range programs {
		l, err := link.AttachTracing(link.TracingOptions{Program: coll.Programs[name], AttachType: ebpf.AttachTraceRawTp})
		if err != nil {
			p.Close()
			return nil, fmt.Errorf("attaching %s: %w", name, err)
		}
		p.links = append(p.links, l)
	}
	if p.rd, err = ringbuf.NewReader(coll.Maps["events"]); err != nil {
		p.Close()
		return nil, fmt.Errorf("opening the ring buffer: %w", err)
	}
	return p, nil
}

type probeConfig struct {
	SelfPID    uint32
	PathFilter uint32
}

// SetSyscalls selects the syscalls (x86-64 numbers) the probe reports;
// every other syscall is dropped in the kernel.
func (p *Probe) SetSyscalls(nrs []int) error {
	m := p.coll.Maps["syscalls"]
	want := make([]uint32, m.MaxEntries())
	for _, nr := range nrs {
		if nr < 0 || nr >= len(want) {
			return fmt.Errorf("syscall number %d out of range", nr)
		}
		want[nr] = 1
	}
	for nr, v := range want {
		if err := m.Put(uint32(nr), v); err != nil {
			return fmt.Errorf("selecting syscall %d: %w", nr, err)
		}
	}
	return nil
}

// pathKeyMax is the probe's PATH_KEY_MAX: the longest path the filter
// judges is one byte shorter.
const pathKeyMax = 256

type pathKey struct {
	Bits uint32
	Data [pathKeyMax]byte
}

// SetPathFilter makes the probe report an open only when its path passes
// the filter of these prefixes and suffixes (falco.PathFilter says which
// paths are judged, and how); off reports every open. While the filter
// changes, every open is reported.
func (p *Probe) SetPathFilter(on bool, prefixes, suffixes []string) error {
	if err := p.setConfig(func(c *probeConfig) { c.PathFilter = 0 }); err != nil {
		return err
	}
	if !on {
		return nil
	}
	if err := fillTrie(p.coll.Maps["path_prefixes"], prefixes, false); err != nil {
		return err
	}
	if err := fillTrie(p.coll.Maps["path_suffixes"], suffixes, true); err != nil {
		return err
	}
	return p.setConfig(func(c *probeConfig) { c.PathFilter = 1 })
}

func (p *Probe) setConfig(change func(*probeConfig)) error {
	m := p.coll.Maps["settings"]
	var c probeConfig
	if err := m.Lookup(uint32(0), &c); err != nil {
		return fmt.Errorf("reading the probe's settings: %w", err)
	}
	change(&c)
	if err := m.Put(uint32(0), c); err != nil {
		return fmt.Errorf("configuring the probe: %w", err)
	}
	return nil
}

// fillTrie makes m hold exactly these patterns (reversed: suffixes).
func fillTrie(m *ebpf.Map, patterns []string, reversed bool) error {
	if len(patterns) > int(m.MaxEntries()) {
		return fmt.Errorf("path filter: %d patterns, the probe holds %d", len(patterns), m.MaxEntries())
	}
	var k pathKey
	var old []pathKey
	for it := m.Iterate(); it.Next(&k, new(uint8)); {
		old = append(old, k)
	}
	for _, k := range old {
		if err := m.Delete(&k); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
			return fmt.Errorf("path filter: %w", err)
		}
	}
	for _, pat := range patterns {
		if len(pat) >= pathKeyMax-1 { // only longer paths match, and those pass anyway
			continue
		}
		k := pathKey{Bits: uint32(len(pat) * 8)}
		for i := range len(pat) {
			if reversed {
				k.Data[i] = pat[len(pat)-1-i]
			} else {
				k.Data[i] = pat[i]
			}
		}
		if err := m.Put(&k, uint8(1)); err != nil {
			return fmt.Errorf("path filter %q: %w", pat, err)
		}
	}
	return nil
}

// Filtered returns how many opens the path filter dropped, summed over
// CPUs.
func (p *Probe) Filtered() (uint64, error) {
	var perCPU []uint64
	if err := p.coll.Maps["filtered"].Lookup(uint32(0), &perCPU); err != nil {
		return 0, fmt.Errorf("reading the path filter's counters: %w", err)
	}
	var n uint64
	for _, v := range perCPU {
		n += v
	}
	return n, nil
}

// PollInterval is how often a reader should look at the ring (with
// SetDeadline) even when no record woke it: the probe wakes the reader only
// once 256 KiB wait.
const PollInterval = 10 * time.Millisecond

// Read waits for the next record and returns its bytes, valid until the
// next Read. It returns os.ErrDeadlineExceeded after SetDeadline's time,
// and ringbuf.ErrClosed after Close.
func (p *Probe) Read(rec *ringbuf.Record) ([]byte, error) {
	if err := p.rd.ReadInto(rec); err != nil {
		return nil, err
	}
	return rec.RawSample, nil
}

// SetDeadline makes a waiting Read return at t.
func (p *Probe) SetDeadline(t time.Time) { p.rd.SetDeadline(t) }

// Drops returns, per CPU, how many records the ring buffer had no room for.
func (p *Probe) Drops() ([]uint64, error) {
	var perCPU []uint64
	if err := p.coll.Maps["drops"].Lookup(uint32(0), &perCPU); err != nil {
		return nil, fmt.Errorf("reading drop counters: %w", err)
	}
	return perCPU, nil
}

// Close detaches and unloads the probe.
func (p *Probe) Close() error {
	var errs []error
	if p.rd != nil {
		errs = append(errs, p.rd.Close())
	}
	for _, l := range p.links {
		errs = append(errs, l.Close())
	}
	p.coll.Close()
	return errors.Join(errs...)
}
