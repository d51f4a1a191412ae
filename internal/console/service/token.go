package service

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// LoadOrCreateToken returns the token in path; when the file does not
// exist it generates one and writes it there with mode 0600, reporting
// created so the caller can print it once. An empty or unreadable file is
// an error, never a silently generated token.
func LoadOrCreateToken(path string) (token string, created bool, err error) {
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		token = strings.TrimSpace(string(b))
		if token == "" {
			return "", false, fmt.Errorf("token file %s is empty", path)
		}
		return token, false, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", false, fmt.Errorf("read token file: %w", err)
	}
	if token, err = NewToken(); err != nil {
		return "", false, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", false, fmt.Errorf("write token file: %w", err)
	}
	if _, err := f.WriteString(token + "\n"); err != nil {
		f.Close()
		return "", false, fmt.Errorf("write token file: %w", err)
	}
	return token, true, f.Close()
}
