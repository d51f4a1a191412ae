package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/pflag"
	"k8s.io/klog/v2"
)

// logFlags are --log-format and --log-level, which every long-running
// command (agent, console, demo) takes.
type logFlags struct {
	format, level string
}

// addLogFlags registers the flags on f; defaultFormat is json or text.
func addLogFlags(f *pflag.FlagSet, defaultFormat string) *logFlags {
	l := &logFlags{}
	f.StringVar(&l.format, "log-format", defaultFormat, "log format: json or text")
	f.StringVar(&l.level, "log-level", "info", "lowest level logged: debug, info, warn or error")
	return l
}

// validate reports every problem of the flags at once.
func (l *logFlags) validate() error {
	var problems []string
	if l.format != "json" && l.format != "text" {
		problems = append(problems, fmt.Sprintf("--log-format %q: json or text", l.format))
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(l.level)); err != nil || !validLevel(l.level) {
		problems = append(problems, fmt.Sprintf("--log-level %q: debug, info, warn or error", l.level))
	}
	if len(problems) > 0 {
		return badInput(fmt.Errorf("%s", strings.Join(problems, "; ")))
	}
	return nil
}

func validLevel(s string) bool {
	switch strings.ToLower(s) {
	case "debug", "info", "warn", "error":
		return true
	}
	return false
}

// logger returns the command's logger, writing to w, and routes
// client-go's klog output (informers, leader election, the events
// broadcaster) through the same handler, so that the process writes one
// stream in one format.
func (l *logFlags) logger(w io.Writer) (*slog.Logger, error) {
	if err := l.validate(); err != nil {
		return nil, err
	}
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(l.level))
	opts := &slog.HandlerOptions{Level: lvl}
	var h slog.Handler = slog.NewJSONHandler(w, opts)
	if l.format == "text" {
		h = slog.NewTextHandler(w, opts)
	}
	logger := slog.New(h)
	klog.SetSlogLogger(logger)
	return logger, nil
}
