// Command slowclients measures the console under slow unauthenticated
// clients on loopback: it starts a real `palisade console` with its
// descriptor limit set to -nofile (4096), holds -n (5000) slow clients
// against it from -sources loopback addresses (127.0.1.x; each client that
// is cut off connects again), and meanwhile asks, from 127.0.0.1, as the
// admin (GET /api/v1/clusters) and as an agent (GET /api/v1/agent/policy)
// every -every, each on a new connection. It reports how many of those
// were answered, their p50/p99/max latency, the console's peak RSS and
// descriptors, and its palisade_console_connections_refused_total.
//
//	go build -o /tmp/palisade ./cmd/palisade
//	go run ./hack/bench/slowclients -bin /tmp/palisade -n 5000 -d 60s
//
// The slow clients are a mix, in equal parts: headers sent a byte a second
// (cut by the header timeout), a /login form body a byte a second (cut by
// the body timeout), and a POST /api/v1/agent/events body without a token
// (answered 401 at once). Only the standard library; Linux only (/proc).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type config struct {
	bin      string
	n        int
	sources  int
	nofile   uint64
	duration time.Duration
	every    time.Duration
	maxConns int
}

func main() {
	var cfg config
	flag.StringVar(&cfg.bin, "bin", "bin/palisade", "the palisade binary")
	flag.IntVar(&cfg.n, "n", 5000, "slow clients held at once")
	flag.IntVar(&cfg.sources, "sources", 50, "loopback source addresses the slow clients come from (127.0.1.1...)")
	flag.Uint64Var(&cfg.nofile, "nofile", 4096, "the console's RLIMIT_NOFILE")
	flag.DurationVar(&cfg.duration, "d", 60*time.Second, "how long to measure")
	flag.DurationVar(&cfg.every, "every", 100*time.Millisecond, "how often the admin and the agent ask")
	flag.IntVar(&cfg.maxConns, "max-conns-per-client", 64, "the console's --max-conns-per-client")
	flag.Parse()
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "slowclients:", err)
		os.Exit(1)
	}
}

func run(cfg config) error {
	dir, err := os.MkdirTemp("", "palisade-slowclients")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	tokenFile := filepath.Join(dir, "admin-token")
	admin := "slowclients-admin-token-0123456789"
	if err := os.WriteFile(tokenFile, []byte(admin+"\n"), 0o600); err != nil {
		return err
	}
	port, mport := freePort(), freePort()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	cmd := exec.Command(cfg.bin, "console", "--listen", fmt.Sprintf("127.0.0.1:%d", port),
		"--metrics-bind-address", fmt.Sprintf("127.0.0.1:%d", mport), "--database", "sqlite://"+filepath.Join(dir, "console.db"),
		"--admin-token-file", tokenFile, "--max-conns-per-client", strconv.Itoa(cfg.maxConns), "--log-level", "error")
	log, err := os.Create(filepath.Join(dir, "console.log"))
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := startWithNofile(cmd, cfg.nofile); err != nil {
		return err
	}
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	if err := waitReady(base); err != nil {
		return err
	}
	agentToken, err := registerCluster(base, admin)
	if err != nil {
		return err
	}

	ctx, stop := context.WithTimeout(context.Background(), cfg.duration)
	defer stop()
	var held, cut atomic.Int64
	var wg sync.WaitGroup
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for i := range cfg.n {
		wg.Add(1)
		go func() { defer wg.Done(); slowClient(ctx, i, cfg.sources, addr, &held, &cut) }()
	}
	time.Sleep(5 * time.Second) // let the slow clients pile up before measuring
	var adminLat, agentLat []time.Duration
	var adminFail, agentFail int
	var peakRSS, peakFDs int64
	tick := time.NewTicker(cfg.every)
	defer tick.Stop()
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-tick.C:
			if d, err := ask(base+"/api/v1/clusters", admin); err != nil {
				adminFail++
			} else {
				adminLat = append(adminLat, d)
			}
			if d, err := ask(base+"/api/v1/agent/policy?wait=0s", agentToken); err != nil {
				agentFail++
			} else {
				agentLat = append(agentLat, d)
			}
			peakRSS = max(peakRSS, rssKiB(cmd.Process.Pid))
			peakFDs = max(peakFDs, fds(cmd.Process.Pid))
		}
	}
	refused := metric(fmt.Sprintf("http://127.0.0.1:%d/metrics", mport), "palisade_console_connections_refused_total")
	hwm := statusKiB(cmd.Process.Pid, "VmHWM:")
	wg.Wait()
	fmt.Printf("slow clients: %d from %d addresses, console RLIMIT_NOFILE %d, --max-conns-per-client %d, %s\n",
		cfg.n, cfg.sources, cfg.nofile, cfg.maxConns, cfg.duration)
	fmt.Printf("slow connections made: %d, cut off by the console: %d, refused at accept (metric): %s\n", held.Load(), cut.Load(), refused)
	report("admin GET /api/v1/clusters", adminLat, adminFail)
	report("agent GET /api/v1/agent/policy", agentLat, agentFail)
	fmt.Printf("console: peak RSS %.1f MiB (VmHWM %.1f MiB), peak descriptors %d\n", float64(peakRSS)/1024, float64(hwm)/1024, peakFDs)
	return nil
}

// startWithNofile starts cmd with RLIMIT_NOFILE n (the child inherits the
// limit in force when it is started), then raises this process's own soft
// limit to its hard one for the slow clients.
func startWithNofile(cmd *exec.Cmd, n uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: n, Max: lim.Max}); err != nil {
		return fmt.Errorf("set RLIMIT_NOFILE %d: %w", n, err)
	}
	err := cmd.Start()
	if e := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: lim.Max, Max: lim.Max}); e != nil && err == nil {
		err = e
	}
	return err
}

// slowClient connects from 127.0.1.(1 + i%sources) and trickles a request,
// a byte a second, until ctx ends; when the console cuts it off it
// connects again.
func slowClient(ctx context.Context, i, sources int, addr string, held, cut *atomic.Int64) {
	src := &net.TCPAddr{IP: net.IPv4(127, 0, 1, byte(1+i%sources))}
	var head string
	switch i % 3 {
	case 0:
		head = "GET /login HTTP/1.1\r\nHost: console\r\nX-Slow: "
	case 1:
		head = "POST /login HTTP/1.1\r\nHost: console\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 60000\r\n\r\ntoken="
	default:
		head = "POST /api/v1/agent/events HTTP/1.1\r\nHost: console\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{"
	}
	for ctx.Err() == nil {
		d := net.Dialer{LocalAddr: src, Timeout: 5 * time.Second}
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			sleep(ctx, time.Second)
			continue
		}
		held.Add(1)
		stop := context.AfterFunc(ctx, func() { c.Close() })
		_, err = io.WriteString(c, head)
		for err == nil && ctx.Err() == nil {
			sleep(ctx, time.Second)
			c.SetReadDeadline(time.Now().Add(time.Millisecond))
			if _, rerr := c.Read(make([]byte, 512)); rerr != nil && !isTimeout(rerr) {
				err = rerr // the console answered or closed
				break
			}
			_, err = c.Write([]byte("a"))
		}
		stop()
		c.Close()
		if ctx.Err() == nil {
			cut.Add(1)
			sleep(ctx, 200*time.Millisecond)
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// ask GETs url with token on a new connection, within 10 s.
func ask(url, token string) (time.Duration, error) {
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%s: %s", url, resp.Status)
	}
	return time.Since(start), nil
}

func report(what string, lat []time.Duration, failed int) {
	slices.Sort(lat)
	q := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	fmt.Printf("%s: %d answered, %d failed; p50 %s, p99 %s, max %s\n", what, len(lat), failed,
		q(.5).Round(10*time.Microsecond), q(.99).Round(10*time.Microsecond), q(1).Round(10*time.Microsecond))
}

func registerCluster(base, admin string) (string, error) {
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/clusters", strings.NewReader(`{"name":"bench"}`))
	req.Header.Set("Authorization", "Bearer "+admin)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	_, tok, ok := strings.Cut(string(b), `"token": "`)
	if resp.StatusCode != http.StatusCreated || !ok {
		return "", fmt.Errorf("register a cluster: %s %s", resp.Status, b)
	}
	tok, _, _ = strings.Cut(tok, `"`)
	return tok, nil
}

func waitReady(base string) error {
	for range 300 {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("the console did not get ready in 30 s")
}

func freePort() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func statusKiB(pid int, key string) int64 {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

func rssKiB(pid int) int64 { return statusKiB(pid, "VmRSS:") }

func fds(pid int) int64 {
	es, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	return int64(len(es))
}

// metric is the value of the unlabelled metric name on url, or "?".
func metric(url, name string) string {
	resp, err := http.Get(url)
	if err != nil {
		return "?"
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
	}
	return "?"
}
