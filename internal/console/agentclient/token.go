package agentclient

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// TokenSource gives a Client the agent token to send. A Client calls it
// from several goroutines at once.
type TokenSource interface {
	// Token is the token to send now.
	Token() string
	// Replacement is called once after the console refused refused (401
	// Unauthorized): the token to try instead, read again at once, or ""
	// when there is no other. err says why the token could not be read.
	Replacement(refused string) (token string, err error)
}

// FixedToken is a token that never changes (--token, PALISADE_AGENT_TOKEN).
type FixedToken string

// Token returns the token.
func (t FixedToken) Token() string { return string(t) }

// Replacement returns "": there is no other token.
func (FixedToken) Replacement(string) (string, error) { return "", nil }

// TokenReread is how often a TokenFile reads its file again.
const TokenReread = 30 * time.Second

// TokenFile is an agent token kept in a file (--token-file), such as a
// mounted Kubernetes Secret, which the kubelet updates in place when the
// Secret changes. The file is read again at most every TokenReread, and
// at once when the console refuses the token, so a token rotated on the
// console and written to the Secret is taken up without a restart, well
// within the rotation's overlap window. A file that cannot be read, or is
// empty, leaves the last token in use.
type TokenFile struct {
	path  string
	every time.Duration
	now   func() time.Time

	mu     sync.Mutex
	token  string
	readAt time.Time
}

// NewTokenFile reads the token in path; the file must hold one.
func NewTokenFile(path string) (*TokenFile, error) { return newTokenFile(path, time.Now) }

func newTokenFile(path string, now func() time.Time) (*TokenFile, error) {
	f := &TokenFile{path: path, every: TokenReread, now: now}
	if err := f.read(); err != nil {
		return nil, err
	}
	return f, nil
}

// Token returns the token, reading the file again when it was last read
// TokenReread ago or more.
func (f *TokenFile) Token() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.now().Sub(f.readAt) >= f.every {
		// A failed read keeps the last token: it may still be good, and
		// a refusal of it reads again and reports why it could not.
		_ = f.read()
	}
	return f.token
}

// Replacement reads the file again and returns its token when it is not
// the refused one. A call that raced with another one's refresh gets the
// newer token without reading.
func (f *TokenFile) Replacement(refused string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.token != refused {
		return f.token, nil
	}
	if err := f.read(); err != nil {
		return "", err
	}
	if f.token == refused {
		return "", nil
	}
	return f.token, nil
}

// read takes the token from the file; f.mu is held, or f not yet shared.
// Errors name the file, never its content.
func (f *TokenFile) read() error {
	f.readAt = f.now()
	b, err := os.ReadFile(f.path)
	if err != nil {
		return fmt.Errorf("--token-file: %w", err)
	}
	token := strings.TrimSpace(string(b))
	if token == "" {
		return errors.New("--token-file " + f.path + " is empty")
	}
	f.token = token
	return nil
}
