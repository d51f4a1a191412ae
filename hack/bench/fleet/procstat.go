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
// resident memory. The simulator watches itself too.
type processes struct {
	mu    sync.Mutex
	procs []*watched
}

type watched struct {
	name           string
	pid            int
	cpu0, cpu1     time.Duration
	peakFDs        int
	peakRSSKiB     int64
	gone           bool
	started, ended time.Time
}

func newProcesses(pids []int) *processes {
	p := &processes{}
	for i, pid := range pids {
		p.procs = append(p.procs, &watched{name: fmt.Sprintf("replica %d", i+1), pid: pid})
	}
	p.procs = append(p.procs, &watched{name: "simulator", pid: os.Getpid()})
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
		if first {
			w.cpu0, w.started = cpu, now
		}
		w.cpu1, w.ended = cpu, now
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
		line += fmt.Sprintf("peak %d descriptors, peak RSS %d MiB", w.peakFDs, w.peakRSSKiB/1024)
		if w.gone {
			line += " (gone before the end)"
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n  ")
}

// cpuTime is the user and system CPU time pid has used (/proc/PID/stat,
// in clock ticks of 1/100 s).
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, field 2, may hold spaces: count from after it.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	if f[0] == "Z" || f[0] == "X" {
		return 0, fmt.Errorf("pid %d has exited", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: bad CPU times", pid)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
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
