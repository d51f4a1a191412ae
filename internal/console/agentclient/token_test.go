package agentclient

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const (
	tokenA = "token-A-before-the-rotation"
	tokenB = "token-B-after-the-rotation"
)

// console answers the policy long poll with 304 Not Modified to the tokens
// it accepts and 401 to others, and records the token of every request.
type console struct {
	mu     sync.Mutex
	accept map[string]bool
	seen   []string
}

func newConsole(t *testing.T, accept ...string) (*console, string) {
	c := &console{accept: map[string]bool{}}
	for _, a := range accept {
		c.accept[a] = true
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		c.mu.Lock()
		c.seen = append(c.seen, token)
		ok := c.accept[token]
		c.mu.Unlock()
		if !ok {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":"unknown agent token"}`))
			return
		}
		w.WriteHeader(http.StatusNotModified)
	}))
	t.Cleanup(srv.Close)
	return c, srv.URL
}

// calls returns the tokens of the requests since the last calls.
func (c *console) calls() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	seen := c.seen
	c.seen = nil
	return seen
}

func poll(c *Client) error {
	_, _, err := c.Policy(context.Background(), "v1", "v1", time.Second)
	return err
}

// A token file, and how the token in it is replaced.
type tokenFile struct {
	name string
	// create writes the first token and returns the path the agent reads.
	create func(t *testing.T, dir, token string) string
	// replace puts another token in place of the first.
	replace func(t *testing.T, dir, token string)
}

var tokenFiles = []tokenFile{
	{
		name: "rewritten",
		create: func(t *testing.T, dir, token string) string {
			write(t, filepath.Join(dir, "token"), token+"\n")
			return filepath.Join(dir, "token")
		},
		replace: func(t *testing.T, dir, token string) {
			write(t, filepath.Join(dir, "token"), token+"\n")
		},
	},
	{
		// A mounted Secret: token -> ..data/token, ..data -> a timestamped
		// folder; the kubelet writes a new folder and renames a new ..data
		// link over the old one, atomically.
		name: "kubelet Secret volume",
		create: func(t *testing.T, dir, token string) string {
			write(t, filepath.Join(dir, "..2030_01_10_10_00_00.1", "token"), token)
			symlink(t, "..2030_01_10_10_00_00.1", filepath.Join(dir, "..data"))
			symlink(t, filepath.Join("..data", "token"), filepath.Join(dir, "token"))
			return filepath.Join(dir, "token")
		},
		replace: func(t *testing.T, dir, token string) {
			write(t, filepath.Join(dir, "..2030_01_10_10_05_00.2", "token"), token)
			symlink(t, "..2030_01_10_10_05_00.2", filepath.Join(dir, "..data_tmp"))
			if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
				t.Fatal(err)
			}
			if err := os.RemoveAll(filepath.Join(dir, "..2030_01_10_10_00_00.1")); err != nil {
				t.Fatal(err)
			}
		},
	},
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// The console refuses the old token (its overlap window ended, or the
// rotation had none): the agent's next call reads the file again and
// succeeds with the new token, without a restart. Until the file changes,
// a refusal is an error, after one request.
func TestTokenFileRefusedTokenIsReadAgain(t *testing.T) {
	for _, tf := range tokenFiles {
		t.Run(tf.name, func(t *testing.T) {
			dir := t.TempDir()
			cons, url := newConsole(t, tokenB)
			tokens, err := NewTokenFile(tf.create(t, dir, tokenA))
			if err != nil {
				t.Fatal(err)
			}
			client, err := NewWithSource(url, tokens, "")
			if err != nil {
				t.Fatal(err)
			}

			err = poll(client)
			var se *StatusError
			if !errors.As(err, &se) || se.Code != http.StatusUnauthorized {
				t.Fatalf("old token in the file: %v, want a 401 StatusError", err)
			}
			if strings.Contains(err.Error(), tokenA) {
				t.Errorf("the error shows the token: %v", err)
			}
			if diff := cmp.Diff([]string{tokenA}, cons.calls()); diff != "" {
				t.Errorf("a refused token with the file unchanged is sent once (-want +got):\n%s", diff)
			}

			tf.replace(t, dir, tokenB)
			if err := poll(client); err != nil {
				t.Fatalf("after the file changed: %v", err)
			}
			if diff := cmp.Diff([]string{tokenA, tokenB}, cons.calls()); diff != "" {
				t.Errorf("refused, then retried with the file's new token (-want +got):\n%s", diff)
			}
			if err := poll(client); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{tokenB}, cons.calls()); diff != "" {
				t.Errorf("then the new token at once (-want +got):\n%s", diff)
			}
		})
	}
}

// Calls refused together after a rotation all get the new token, though
// only the first reads it.
func TestTokenFileConcurrentRefusals(t *testing.T) {
	dir := t.TempDir()
	tf := tokenFiles[1]
	_, url := newConsole(t, tokenB)
	tokens, err := NewTokenFile(tf.create(t, dir, tokenA))
	if err != nil {
		t.Fatal(err)
	}
	client, err := NewWithSource(url, tokens, "")
	if err != nil {
		t.Fatal(err)
	}
	tf.replace(t, dir, tokenB)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = poll(client)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("call %d: %v", i, err)
		}
	}
}

// Within the overlap window the console still takes the old token: the
// file is read again every TokenReread, and the agent moves to the new
// token without being refused.
func TestTokenFileReadAgainPeriodically(t *testing.T) {
	for _, tf := range tokenFiles {
		t.Run(tf.name, func(t *testing.T) {
			dir := t.TempDir()
			cons, url := newConsole(t, tokenA, tokenB)
			now := time.Date(2030, 1, 10, 10, 0, 0, 0, time.UTC)
			tokens, err := newTokenFile(tf.create(t, dir, tokenA), func() time.Time { return now })
			if err != nil {
				t.Fatal(err)
			}
			client, err := NewWithSource(url, tokens, "")
			if err != nil {
				t.Fatal(err)
			}

			tf.replace(t, dir, tokenB)
			now = now.Add(TokenReread - time.Second)
			if err := poll(client); err != nil {
				t.Fatal(err)
			}
			now = now.Add(time.Second)
			if err := poll(client); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{tokenA, tokenB}, cons.calls()); diff != "" {
				t.Errorf("the old token until TokenReread, then the new one (-want +got):\n%s", diff)
			}
		})
	}
}

// A file that cannot be read any more leaves the last token in use; when
// the console refuses it, the error says why no other could be read.
func TestTokenFileUnreadable(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "token")
	write(t, path, tokenA)
	cons, url := newConsole(t, tokenA)
	now := time.Date(2030, 1, 10, 10, 0, 0, 0, time.UTC)
	tokens, err := newTokenFile(path, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	client, err := NewWithSource(url, tokens, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	now = now.Add(TokenReread)
	if err := poll(client); err != nil {
		t.Fatalf("the last token, still good: %v", err)
	}

	cons.mu.Lock()
	cons.accept = map[string]bool{}
	cons.mu.Unlock()
	err = poll(client)
	var se *StatusError
	if !errors.As(err, &se) || se.Code != http.StatusUnauthorized || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("refused, file gone: %v, want a 401 StatusError saying the file is missing", err)
	}
	if strings.Contains(err.Error(), tokenA) {
		t.Errorf("the error shows the token: %v", err)
	}
	if diff := cmp.Diff([]string{tokenA, tokenA}, cons.calls()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestNewTokenFileNeedsAToken(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	write(t, empty, " \n")
	for path, want := range map[string]string{
		empty:                        "is empty",
		filepath.Join(dir, "absent"): "no such file",
	} {
		if _, err := NewTokenFile(path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("NewTokenFile(%s) = %v, want an error saying %q", path, err, want)
		}
	}
}
