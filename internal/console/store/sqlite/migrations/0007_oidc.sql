-- Single sign-on (OpenID Connect) for the UI: whom a session belongs to,
-- and the logins under way, so that a login one console process sent to
-- the identity provider can come back to another.

-- The provider's subject and a name to show; empty for token logins.
ALTER TABLE ui_sessions ADD COLUMN subject TEXT NOT NULL DEFAULT '';
ALTER TABLE ui_sessions ADD COLUMN user_name TEXT NOT NULL DEFAULT '';

-- A login found by the SHA-256 of its state (the state itself is in the
-- browser's cookie and the provider's redirect, never stored), deleted
-- when it comes back so that it is honoured once. Times are Unix
-- microseconds (UTC).
CREATE TABLE oidc_logins (
	state_hash BLOB PRIMARY KEY,
	verifier   TEXT NOT NULL,
	nonce      TEXT NOT NULL,
	next       TEXT NOT NULL,
	expires    INTEGER NOT NULL
);
CREATE INDEX oidc_logins_expires ON oidc_logins (expires);
