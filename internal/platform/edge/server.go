package edge

import (
	"log/slog"
	"net/http"
	"time"
)

// The bounds every server gets. ReadTimeout covers the whole request, body
// included, so a client that sends its body a byte at a time is cut off
// after it (and its descriptor freed) instead of holding the connection.
const (
	ReadHeaderTimeout = 5 * time.Second
	ReadTimeout       = 15 * time.Second
	WriteTimeout      = 15 * time.Second
	IdleTimeout       = 90 * time.Second
)

// NewServer returns a server for h with the bounds above; its errors (TLS
// handshakes, accept retries) go to logger as warnings.
func NewServer(h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// Hold lifts the server's read and write bounds of the request being
// answered for d more: for a long poll, which has no body to read and waits
// on purpose. Without it, the connection's read deadline would cancel the
// request's context after ReadTimeout. A writer that cannot set deadlines
// (a test recorder) is left as it is.
func Hold(w http.ResponseWriter, d time.Duration) {
	rc := http.NewResponseController(w)
	now := time.Now()
	_ = rc.SetReadDeadline(now.Add(d + ReadTimeout))
	_ = rc.SetWriteDeadline(now.Add(d + WriteTimeout))
}

// RefuseUnread prepares the answer to a request refused before its body is
// read (no or a bad token, a wrong content type): the rest of the body is
// never read and the connection is closed once the answer is sent. Without
// it the server reads up to 256 KiB of the body before sending the answer,
// which a client sending slowly turns into a held connection. Call it before
// writing the answer.
func RefuseUnread(w http.ResponseWriter, r *http.Request) {
	if r.Body == nil || r.Body == http.NoBody {
		return
	}
	// HTTP/2 resets the stream of an unread body by itself; there
	// "Connection: close" would end every other stream of the connection.
	if r.ProtoMajor == 1 {
		w.Header().Set("Connection", "close")
		_ = http.NewResponseController(w).SetReadDeadline(time.Now())
	}
}
