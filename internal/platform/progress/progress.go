package progress

import (
	"io"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/term"
)

// Defaults for Options.
const (
	DefaultDelay    = time.Second
	DefaultInterval = 250 * time.Millisecond
)

// Enabled reports whether w is a terminal someone watches: an *os.File
// on a terminal, with $CI unset (getenv is os.Getenv outside tests).
func Enabled(w io.Writer, getenv func(string) string) bool {
	if getenv("CI") != "" {
		return false
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Options configure a Line.
type Options struct {
	// Delay is how long the work runs before the line appears
	// (DefaultDelay when zero): quick work prints nothing.
	Delay time.Duration
	// Interval is how often Start redraws (DefaultInterval when zero).
	Interval time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Line is one status line rewritten in place. Its methods are safe for
// concurrent use; on a nil *Line they do nothing.
type Line struct {
	w      io.Writer
	status func() string
	opts   Options
	start  time.Time

	mu    sync.Mutex
	width int // runes on screen; 0 when nothing is shown
	done  bool
	stop  chan struct{}
	wg    sync.WaitGroup
}

// New returns a line on w showing status() and the time since now; nil
// when w is nil, so that callers decide once, with Enabled.
func New(w io.Writer, status func() string, opts Options) *Line {
	if w == nil {
		return nil
	}
	if opts.Delay == 0 {
		opts.Delay = DefaultDelay
	}
	if opts.Interval == 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Line{w: w, status: status, opts: opts, start: opts.Now(), stop: make(chan struct{})}
}

// Start redraws the line every Interval until Stop.
func (l *Line) Start() {
	if l == nil {
		return
	}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		t := time.NewTicker(l.opts.Interval)
		defer t.Stop()
		for {
			select {
			case <-l.stop:
				return
			case <-t.C:
				l.Tick()
			}
		}
	}()
}

// Tick redraws the line if the work has run for Delay.
func (l *Line) Tick() {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done {
		return
	}
	elapsed := l.opts.Now().Sub(l.start)
	if elapsed < l.opts.Delay {
		return
	}
	text := l.status() + " … " + Elapsed(elapsed)
	n := utf8.RuneCountInString(text)
	pad := ""
	if l.width > n {
		pad = strings.Repeat(" ", l.width-n)
	}
	io.WriteString(l.w, "\r"+text+pad)
	l.width = n
}

// Stop ends the redraws and erases the line.
func (l *Line) Stop() {
	if l == nil {
		return
	}
	l.mu.Lock()
	if l.done {
		l.mu.Unlock()
		return
	}
	l.done = true
	close(l.stop)
	l.clear()
	l.mu.Unlock()
	l.wg.Wait()
}

// clear erases the line; l.mu is held.
func (l *Line) clear() {
	if l.width > 0 {
		io.WriteString(l.w, "\r"+strings.Repeat(" ", l.width)+"\r")
		l.width = 0
	}
}

// Above returns a writer that prints to w above the line: the line is
// erased first and drawn again at the next tick. Output that shares the
// terminal with the line (a child process's log) goes through it.
func (l *Line) Above(w io.Writer) io.Writer {
	if l == nil {
		return w
	}
	return aboveWriter{l: l, w: w}
}

type aboveWriter struct {
	l *Line
	w io.Writer
}

func (a aboveWriter) Write(p []byte) (int, error) {
	a.l.mu.Lock()
	defer a.l.mu.Unlock()
	a.l.clear()
	return a.w.Write(p)
}

// Elapsed formats a duration as the line shows it: whole seconds, "1m20s".
func Elapsed(d time.Duration) string {
	return d.Truncate(time.Second).String()
}
