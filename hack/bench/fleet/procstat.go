package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// processes watches the console replicas' processes (Linux /proc) during
// the load phase: the CPU they used, and their peak descriptors and
// resident memory. The simulator watches itself too, and PostgreSQL's CPU
// (the postmaster and its backends) when given its pid.
type processes struct {
	mu    sync.Mutex
	procs []*watched
}

type watched struct {
	name string
	pid  int
	// tree adds the CPU of the process's children (PostgreSQL's backends);
	// descriptors and memory are not followed for it.
	tree           bool
	cpu0, cpu1     time.Duration
	peakFDs        int
	peakRSSKiB     int64
	gone           bool
	started, ended time.Time
}

func newProcesses(replicas []int, postgres int, hosts []int) *processes {
	p := &processes{}
	for i, pid := range replicas {
		p.procs = append(p.procs, &watched{name: fmt.Sprintf("replica %d", i+1), pid: pid})
	}
	if postgres != 0 {
		p.procs = append(p.procs, &watched{name: "PostgreSQL", pid: postgres, tree: true})
	}
	p.procs = append(p.procs, &watched{name: "simulator", pid: os.Getpid()})
	for i, pid := range hosts {
		p.procs = append(p.procs, &watched{name: fmt.Sprintf("agent host %d", i+1), pid: pid})
	}
	return p
}

// watch samples every second until ctx ends.
func (p *processes) watch(ctx context.Context) {
	p.sample(true)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			p.sample(false)
			return
		case <-t.C:
			p.sample(false)
		}
	}
}

func (p *processes) sample(first bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	for _, w := range p.procs {
		if w.gone {
			continue
		}
		cpu, err := cpuTime(w.pid)
		if err != nil {
			w.gone = true
			continue
		}
		if w.tree {
			cpu += childrenCPU(w.pid)
		}
		if first {
			w.cpu0, w.started = cpu, now
		}
		w.cpu1, w.ended = cpu, now
		if w.tree {
			continue
		}
		if entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", w.pid)); err == nil {
			w.peakFDs = max(w.peakFDs, len(entries))
		}
		w.peakRSSKiB = max(w.peakRSSKiB, rssKiB(w.pid))
	}
}

func (p *processes) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var lines []string
	for _, w := range p.procs {
		span := w.ended.Sub(w.started)
		line := fmt.Sprintf("%s (pid %d): ", w.name, w.pid)
		if span > 0 {
			line += fmt.Sprintf("CPU %.2f cores over %s, ", (w.cpu1-w.cpu0).Seconds()/span.Seconds(), round(span))
		}
		if !w.tree {
			line += fmt.Sprintf("peak %d descriptors, peak RSS %d MiB", w.peakFDs, w.peakRSSKiB/1024)
		}
		if w.gone {
			line += " (gone before the end)"
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n  ")
}

// cpuTime is the user and system CPU time pid has used.
func cpuTime(pid int) (time.Duration, error) {
	st, err := readStat(pid)
	if err != nil {
		return 0, err
	}
	if st.state == "Z" || st.state == "X" {
		return 0, fmt.Errorf("pid %d has exited", pid)
	}
	return st.cpu, nil
}

// childrenCPU is the CPU time used by the live children of pid.
func childrenCPU(pid int) time.Duration {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	var sum time.Duration
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := readStat(child); err == nil && st.ppid == pid {
			sum += st.cpu
		}
	}
	return sum
}

type procStat struct {
	state string
	ppid  int
	cpu   time.Duration
}

// readStat reads /proc/PID/stat: the state, the parent, and the user and
// system CPU time (in clock ticks of 1/100 s).
func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	// The command name, field 2, may hold spaces: count from after it.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	ppid, err1 := strconv.Atoi(f[1])
	utime, err2 := strconv.ParseInt(f[11], 10, 64)
	stime, err3 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return procStat{}, fmt.Errorf("/proc/%d/stat: unreadable", pid)
	}
	return procStat{state: f[0], ppid: ppid, cpu: time.Duration(utime+stime) * 10 * time.Millisecond}, nil
}

func rssKiB(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}
