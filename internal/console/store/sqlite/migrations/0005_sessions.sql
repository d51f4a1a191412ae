-- UI sessions and the failed-login throttle live in the database, so that
-- every console process on it serves a browser that logged in at another
-- and counts the same failures.

-- A session is found by the SHA-256 of its ID (the cookie), never by the
-- ID itself. Times are Unix microseconds (UTC).
CREATE TABLE ui_sessions (
	id_hash BLOB PRIMARY KEY,
	role    TEXT NOT NULL,
	csrf    TEXT NOT NULL,
	expires INTEGER NOT NULL
);
CREATE INDEX ui_sessions_expires ON ui_sessions (expires);

-- Failed logins per client key (an address, or an IPv6 /64) since the
-- start of its window.
CREATE TABLE login_failures (
	client TEXT PRIMARY KEY,
	n      INTEGER NOT NULL,
	start  INTEGER NOT NULL
);
CREATE INDEX login_failures_start ON login_failures (start);
