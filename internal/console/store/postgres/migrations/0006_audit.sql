-- The audit log: every change made through the console (policies,
-- rulesets, clusters, assignments, agent tokens) and every login, with who
-- made it, from which address, and a diff or note. seq is the arrival
-- order; each index ends with (ts, seq) so "ORDER BY ts DESC, seq DESC"
-- walks it backwards for each filter.
CREATE TABLE audit (
	seq    bigserial PRIMARY KEY,
	ts     timestamptz NOT NULL,
	actor  text NOT NULL DEFAULT '',
	remote text NOT NULL DEFAULT '',
	action text NOT NULL,
	target text NOT NULL DEFAULT '',
	detail text NOT NULL DEFAULT ''
);
CREATE INDEX audit_ts ON audit (ts, seq);
CREATE INDEX audit_action_ts ON audit (action, ts, seq);
CREATE INDEX audit_target_ts ON audit (target, ts, seq);

-- Agent token rotation: the token a cluster had before its last rotation
-- (its SHA-256) keeps working until prev_token_expires, so that its agent
-- can be given the new one without losing the console. NULL: no previous
-- token.
ALTER TABLE clusters ADD COLUMN prev_token_hash bytea;
ALTER TABLE clusters ADD COLUMN prev_token_expires timestamptz;
CREATE INDEX clusters_prev_token_hash ON clusters (prev_token_hash);
