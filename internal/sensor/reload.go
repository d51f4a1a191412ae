package sensor

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/palisade-dev/palisade/internal/core/falco"
	"github.com/palisade-dev/palisade/internal/core/falco/syscall"
)

// compiled is a set of rules ready to swap in.
type compiled struct {
	rules   *falco.Rules
	extra   *falco.Rule
	nrs     []int
	missing []string
	// paths filters opens in the kernel; nil passes every open.
	paths *falco.PathFilter
}

// openTypes are the event types the probe's path filter applies to.
var openTypes = []string{"open", "openat", "openat2"}

func compileSet(files []falco.File) (*compiled, falco.Diagnostics, error) {
	rs, diags, err := Compile(files)
	if err != nil {
		return nil, diags, err
	}
	types, all := rs.EventTypes(syscall.SourceName)
	c := &compiled{rules: rs, extra: rs.Rule(extraRule)}
	c.nrs, c.missing = selectSyscalls(types, all)
	c.paths = rs.PathFilter(syscall.SourceName, openTypes...)
	return c, diags, nil
}

// Reload compiles the sensor's own rules files followed by extra (the
// rulesets' files the agent serves) and, when they compile, has Run swap
// them in before its next record (and select their syscalls in the
// kernel). On error the rules in force stay.
func (s *Sensor) Reload(extra []falco.File) (falco.Diagnostics, error) {
	c, diags, err := compileSet(append(append([]falco.File(nil), s.opts.Rules...), extra...))
	if err != nil {
		return diags, err
	}
	select { // a reload not yet applied is replaced by this one
	case <-s.reload:
	default:
	}
	s.reload <- c
	return diags, nil
}

// apply swaps in compiled rules; Run's goroutine calls it.
func (s *Sensor) apply(c *compiled) {
	if err := s.probe.SetSyscalls(c.nrs); err != nil {
		s.opts.Log.Error("rules reloaded but the kernel filter was not updated; keeping the rules in force", "err", err)
		return
	}
	s.setPathFilter(c.paths)
	s.rules, s.extra, s.match, s.nrs, s.missing = c.rules, c.extra, c.rules.NewMatcher(), c.nrs, c.missing
	s.opts.Log.Info("rules reloaded", "rules", len(c.rules.All()), "syscalls", len(c.nrs), "path_filter", DescribeFilter(c.paths))
	if len(c.missing) > 0 {
		s.opts.Log.Warn("the rules match event types the sensor does not capture; rules on them never fire", "types", c.missing)
	}
}

// RulesClient fetches the syscall rules of the rulesets a Palisade agent's
// policy binds (its GET /sensor/rules), remembering the ETag so that an
// unchanged answer costs nothing.
type RulesClient struct {
	URL, Token string
	Client     *http.Client
	etag       string
}

// sensorRules mirrors the agent's answer (responder.SensorRules).
type sensorRules struct {
	Rulesets []struct {
		Name  string `json:"name"`
		Files []struct {
			Name string `json:"name"`
			Data string `json:"data"`
		} `json:"files"`
	} `json:"rulesets"`
}

// maxRulesBody bounds the agent's answer.
const maxRulesBody = 16 << 20

// Fetch returns the rulesets' files and whether they changed since the
// last successful Fetch.
func (c *RulesClient) Fetch(ctx context.Context) ([]falco.File, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL, nil)
	if err != nil {
		return nil, false, err
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if c.etag != "" {
		req.Header.Set("If-None-Match", c.etag)
	}
	resp, err := c.Client.Do(req)
	if err != nil {
		return nil, false, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRulesBody+1))
	switch {
	case resp.StatusCode == http.StatusNotModified:
		return nil, false, nil
	case resp.StatusCode != http.StatusOK:
		return nil, false, fmt.Errorf("agent answered %s: %.200s", resp.Status, body)
	case err != nil:
		return nil, false, err
	case len(body) > maxRulesBody:
		return nil, false, fmt.Errorf("the agent's rules are over %d bytes", maxRulesBody)
	}
	var sr sensorRules
	if err := json.Unmarshal(body, &sr); err != nil {
		return nil, false, fmt.Errorf("the agent's rules: %w", err)
	}
	var files []falco.File
	for _, rs := range sr.Rulesets {
		for _, f := range rs.Files {
			files = append(files, falco.File{Name: "ruleset " + rs.Name + ": " + f.Name, Data: []byte(f.Data)})
		}
	}
	c.etag = resp.Header.Get("ETag")
	return files, true, nil
}

// setPathFilter puts f in the kernel. If that fails, every open is
// reported: slower, never blind.
func (s *Sensor) setPathFilter(f *falco.PathFilter) {
	var err error
	if f == nil {
		err = s.probe.SetPathFilter(false, nil, nil)
	} else {
		err = s.probe.SetPathFilter(true, f.Prefixes, f.Suffixes)
	}
	if err != nil {
		s.opts.Log.Warn("the kernel path filter was not set; every open is reported", "err", err)
		s.paths = nil
		return
	}
	s.paths = f
}

// DescribeFilter says, for a log line,, what the path filter passes.
func DescribeFilter(f *falco.PathFilter) string {
	if f == nil {
		return "off (a rule on opens does not constrain fd.name)"
	}
	return fmt.Sprintf("%d prefixes, %d suffixes", len(f.Prefixes), len(f.Suffixes))
}
