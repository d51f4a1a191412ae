package event

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
)

// FileSink appends events to a file as JSON lines. It is safe for
// concurrent use; each Record call is written and flushed as a whole.
type FileSink struct {
	mu sync.Mutex
	f  *os.File
	w  *bufio.Writer
}

// OpenFile opens (creating it if needed) path for appending.
func OpenFile(path string) (*FileSink, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open event file: %w", err)
	}
	return &FileSink{f: f, w: bufio.NewWriter(f)}, nil
}

// Record implements Sink.
func (s *FileSink) Record(_ context.Context, events []Event) error {
	if len(events) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	enc := json.NewEncoder(s.w)
	for i := range events {
		if err := enc.Encode(&events[i]); err != nil {
			return fmt.Errorf("write event: %w", err)
		}
	}
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("write event: %w", err)
	}
	return nil
}

// Close flushes and closes the file.
func (s *FileSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.w.Flush(); err != nil {
		s.f.Close()
		return err
	}
	return s.f.Close()
}
