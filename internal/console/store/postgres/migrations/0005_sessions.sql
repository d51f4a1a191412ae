-- UI sessions and the failed-login throttle live in the database, so that
-- every console replica serves a browser that logged in at another and
-- counts the same failures.

-- A session is found by the SHA-256 of its ID (the cookie), never by the
-- ID itself.
CREATE TABLE ui_sessions (
	id_hash bytea PRIMARY KEY,
	role    text NOT NULL,
	csrf    text NOT NULL,
	expires timestamptz NOT NULL
);
CREATE INDEX ui_sessions_expires ON ui_sessions (expires);

-- Failed logins per client key (an address, or an IPv6 /64) since the
-- start of its window.
CREATE TABLE login_failures (
	client text PRIMARY KEY,
	n      integer NOT NULL,
	start  timestamptz NOT NULL
);
CREATE INDEX login_failures_start ON login_failures (start);
