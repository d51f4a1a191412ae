package service

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// MinTokenLength is the shortest admin or viewer token the console takes:
// a short one can be guessed (the tokens it generates are 43 characters).
const MinTokenLength = 16

// LoadOrCreateToken returns the token in path; when the file does not
// exist it generates one and writes it there with mode 0600, reporting
// created so the caller can print it once. An empty, short or unreadable
// file is an error, never a silently generated token.
func LoadOrCreateToken(path string) (token string, created bool, err error) {
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		token = strings.TrimSpace(string(b))
		if token == "" {
			return "", false, fmt.Errorf("token file %s is empty", path)
		}
		if n := len(token); n < MinTokenLength {
			return "", false, fmt.Errorf("token file %s holds a %d-character token: at least %d are required "+
				"(remove the file to have one generated, or write a longer one, e.g. openssl rand -base64 32)", path, n, MinTokenLength)
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
