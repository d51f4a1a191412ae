-- The audit log: every change made through the console (policies,
-- rulesets, clusters, assignments, agent tokens) and every login, with who
-- made it, from which address, and a diff or note. seq (the rowid) is the
-- arrival order. Pages are read newest first, "ORDER BY ts DESC, seq
-- DESC", walking one index backwards: ListAudit names it from its filters
-- (target, action, none); the target index carries the action so both
-- filters are tested on the index entry.
CREATE TABLE audit (
	seq    INTEGER PRIMARY KEY,
	ts     INTEGER NOT NULL,
	actor  TEXT NOT NULL DEFAULT '',
	remote TEXT NOT NULL DEFAULT '',
	action TEXT NOT NULL,
	target TEXT NOT NULL DEFAULT '',
	detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_ts ON audit (ts, seq);
CREATE INDEX audit_action ON audit (action, ts, seq);
CREATE INDEX audit_target ON audit (target, ts, seq, action);

-- Agent token rotation: the token a cluster had before its last rotation
-- (its SHA-256) keeps working until prev_token_expires (Unix microseconds),
-- so that its agent can be given the new one without losing the console.
-- NULL: no previous token.
ALTER TABLE clusters ADD COLUMN prev_token_hash BLOB;
ALTER TABLE clusters ADD COLUMN prev_token_expires INTEGER;
CREATE INDEX clusters_prev_token_hash ON clusters (prev_token_hash);
