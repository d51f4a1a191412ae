package sensor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/cilium/ebpf/ringbuf"

	"github.com/palisade-dev/palisade/internal/core/falco"
	"github.com/palisade-dev/palisade/internal/core/falco/syscall"
	"github.com/palisade-dev/palisade/internal/core/ruleset"
	"github.com/palisade-dev/palisade/internal/sensor/probe"
)

// ContainerOutput is what the sensor appends to every alert's output, as
// Falco appends its container fields: which container and pod the rule
// fired in. Its fields also go into the alert's output_fields.
const ContainerOutput = "container_id=%container.id container_name=%container.name " +
	"container_image_repository=%container.image.repository container_image_tag=%container.image.tag " +
	"k8s_ns_name=%k8s.ns.name k8s_pod_name=%k8s.pod.name"

// extraRule is the disabled rule that carries ContainerOutput: compiled
// with the user's rules, so it reads the same event through one Matcher.
const extraRule = "Palisade sensor container output"

// Options configure a Sensor.
type Options struct {
	// Rules are the rules files the sensor evaluates (rules of the syscall
	// source; rules of other sources are skipped with Falco's warning).
	Rules []falco.File
	// Proc is where the node's /proc is (the sensor runs with the host's
	// pid namespace); "" means /proc.
	Proc string
	// CRIEndpoint is the container runtime's CRI socket; "" runs without
	// container metadata (container.id only).
	CRIEndpoint string
	// Hostname is the node's name (evt.hostname, the alert's hostname).
	Hostname string
	// RingBytes sizes the probe's ring buffer (0: probe.DefaultRingBytes).
	RingBytes int
	// Alerts receives every alert, in order; nil drops them.
	Alerts func(falco.Alert)
	Log    *slog.Logger
	// Record, when set, receives the first RecordCount events decoded, one
	// JSON line each (syscall.Event): a stream to replay in benchmarks and
	// tests.
	Record      io.Writer
	RecordCount int
	// Metrics, when set, counts events, alerts, errors and drops.
	Metrics *Metrics
}

// Sensor captures syscalls with the probe and evaluates them against
// Falco rules.
type Sensor struct {
	opts    Options
	rules   *falco.Rules
	extra   *falco.Rule
	probe   *probe.Probe
	dec     *decoder
	match   *falco.Matcher
	nrs     []int
	missing []string
	// paths is the path filter in force in the kernel (nil: none).
	paths *falco.PathFilter
	// reload hands Run rules compiled by Reload.
	reload chan *compiled
	// recorded counts the events written to Options.Record.
	recorded int

	closeOnce sync.Once
	closers   []io.Closer
}

// Compile loads rules files as the sensor does: with the syscall source
// and the container output rule. Diagnostics are Falco's.
func Compile(files []falco.File) (*falco.Rules, falco.Diagnostics, error) {
	extra := falco.File{Name: "<palisade sensor>", Data: []byte(fmt.Sprintf(
		"- rule: %s\n  desc: the container and pod an alert fired in, appended to every output\n"+
			"  condition: evt.num >= 0\n  output: %q\n  priority: DEBUG\n  enabled: false\n  warn_evttypes: false\n",
		extraRule, ContainerOutput))}
	// The agent's options: the syscall source (evaluated here) and the
	// k8s_audit one (a ruleset's audit rules compile and are left to the
	// agent), with the plugins whose fields they provide.
	rs, diags := falco.Load(ruleset.LoadOptions(), append(files, extra)...)
	if diags.HasErrors() {
		return nil, diags, diags.Err()
	}
	return rs, diags, nil
}

// New compiles the rules, loads the probe and selects in the kernel the
// syscalls the rules can match.
func New(opts Options) (*Sensor, falco.Diagnostics, error) {
	if opts.Proc == "" {
		opts.Proc = "/proc"
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	c, diags, err := compileSet(opts.Rules)
	if err != nil {
		return nil, diags, err
	}
	s := &Sensor{opts: opts, rules: c.rules, extra: c.extra, match: c.rules.NewMatcher(), nrs: c.nrs, missing: c.missing,
		reload: make(chan *compiled, 1)}
	clk, err := newClock()
	if err != nil {
		return nil, diags, fmt.Errorf("reading the boot clock: %w", err)
	}
	var cs *containers
	if opts.CRIEndpoint != "" {
		conn, err := dialCRI(opts.CRIEndpoint)
		if err != nil {
			return nil, diags, fmt.Errorf("container runtime %s: %w", opts.CRIEndpoint, err)
		}
		s.closers = append(s.closers, conn)
		cs = newContainers(conn, opts.Log)
	} else {
		cs = newContainers(nil, opts.Log)
	}
	s.dec = &decoder{hostname: opts.Hostname, start: time.Now().UnixNano(),
		procs: &procTable{proc: opts.Proc, byPID: map[uint32]*syscall.Thread{}, clock: clk,
			containers: cs, users: newUsers(opts.Proc)}}

	if s.probe, err = probe.Load(probe.Options{RingBytes: opts.RingBytes, IgnorePID: os.Getpid()}); err != nil {
		s.Close()
		return nil, diags, err
	}
	s.closers = append(s.closers, s.probe)
	if err := s.probe.SetSyscalls(s.nrs); err != nil {
		s.Close()
		return nil, diags, err
	}
	s.setPathFilter(c.paths)
	return s, diags, nil
}

// Syscalls returns the syscall numbers the probe reports, and the event
// types the rules name that the sensor does not capture.
func (s *Sensor) Syscalls() (nrs []int, missing []string) { return s.nrs, s.missing }

// Rules returns the compiled rules.
func (s *Sensor) Rules() *falco.Rules { return s.rules }

// Run reads and evaluates events until ctx ends.
func (s *Sensor) Run(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { s.probe.SetDeadline(time.Now()) })
	defer stop()
	var rec ringbuf.Record
	lastForget := time.Now()
	s.probe.SetDeadline(time.Now().Add(probe.PollInterval))
	for {
		b, err := s.probe.Read(&rec)
		switch {
		case errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() != nil:
			return nil
		case errors.Is(err, os.ErrDeadlineExceeded):
			// The probe wakes the reader only when much waits: look again
			// at the next poll.
			s.probe.SetDeadline(time.Now().Add(probe.PollInterval))
			select {
			case c := <-s.reload:
				s.apply(c)
			default:
			}
			continue
		case errors.Is(err, ringbuf.ErrClosed):
			return nil
		case err != nil:
			return fmt.Errorf("reading the probe: %w", err)
		}
		select {
		case c := <-s.reload:
			s.apply(c)
		default:
		}
		s.handle(b)
		if time.Since(lastForget) > time.Minute {
			s.dec.procs.containers.forget(time.Now().Add(-10 * time.Minute))
			lastForget = time.Now()
		}
	}
}

// handle decodes and evaluates one record.
func (s *Sensor) handle(b []byte) {
	e, err := s.dec.decode(b)
	if err != nil {
		s.opts.Metrics.error()
		s.opts.Log.Warn("probe record skipped", "err", err)
		return
	}
	if e == nil {
		return
	}
	s.opts.Metrics.event(e.Type)
	if s.opts.Record != nil && s.recorded < s.opts.RecordCount {
		s.recorded++
		if err := json.NewEncoder(s.opts.Record).Encode(e); err != nil {
			s.opts.Log.Error("recording an event", "err", err)
			s.recorded = s.opts.RecordCount
		}
	}
	s.Evaluate(e)
}

// Evaluate matches one event against the rules and sends an alert for
// each rule that fires.
func (s *Sensor) Evaluate(e *syscall.Event) {
	s.match.MatchType(syscall.SourceName, e.Type, e, func(r *falco.Rule) bool {
		s.opts.Metrics.alert(r.Name)
		if s.opts.Alerts != nil {
			s.opts.Alerts(s.alert(r, e))
		}
		return true
	})
}

// alert is Falco's JSON alert for rule r on the event just matched.
func (s *Sensor) alert(r *falco.Rule, e *syscall.Event) falco.Alert {
	when := time.Unix(0, e.Time).UTC()
	fields := s.match.Fields(r)
	for k, v := range s.match.Fields(s.extra) {
		fields[k] = v
	}
	fields["evt.time"] = e.Time
	out := s.match.Output(r) + " " + s.match.Output(s.extra)
	return falco.Alert{
		Rule: r.Name, Priority: r.Priority.String(), Source: syscall.SourceName, Hostname: s.opts.Hostname,
		Tags: r.Tags, Time: when, OutputFields: fields,
		Output: when.Format("15:04:05.000000000") + ": " + r.Priority.String() + " " + strings.TrimSpace(out),
	}
}

// SetMetrics makes the sensor count into m (made after New, since the
// drop counters are the probe's).
func (s *Sensor) SetMetrics(m *Metrics) { s.opts.Metrics = m }

// Drops returns, per CPU, the records the ring buffer had no room for.
func (s *Sensor) Drops() ([]uint64, error) { return s.probe.Drops() }

// Filtered returns how many opens the kernel's path filter dropped.
func (s *Sensor) Filtered() (uint64, error) { return s.probe.Filtered() }

// PathFilter returns the path filter in force in the kernel, nil when
// every open is reported.
func (s *Sensor) PathFilter() *falco.PathFilter { return s.paths }

// Close unloads the probe and closes the runtime connection.
func (s *Sensor) Close() error {
	var errs []error
	s.closeOnce.Do(func() {
		for _, c := range s.closers {
			errs = append(errs, c.Close())
		}
	})
	return errors.Join(errs...)
}

// WriteAlert writes an alert as one line of Falco's JSON output.
func WriteAlert(w io.Writer, a falco.Alert) error {
	b, err := json.Marshal(a)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
