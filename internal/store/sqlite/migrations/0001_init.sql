-- Palisade console schema, SQLite dialect. Times are Unix microseconds
-- (UTC) in INTEGER columns: exact, compact and fast to compare.

CREATE TABLE policies (
	name       TEXT PRIMARY KEY,
	body       BLOB NOT NULL,
	version    INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);

CREATE TABLE rulesets (
	name       TEXT PRIMARY KEY,
	body       BLOB NOT NULL,
	version    INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);

CREATE TABLE clusters (
	name         TEXT PRIMARY KEY,
	-- NULL: no policy assigned.
	policy       TEXT REFERENCES policies (name) ON DELETE RESTRICT,
	-- SHA-256 of the agent token; NULL when the cluster has none.
	token_hash   BLOB UNIQUE,
	created_at   INTEGER NOT NULL,
	-- NULL: the agent never called.
	last_seen    INTEGER,
	agent_policy TEXT NOT NULL DEFAULT ''
);
CREATE INDEX clusters_policy ON clusters (policy);

-- The event trail. seq (the rowid) is the arrival order; every index below
-- ends, implicitly, with it, so "ORDER BY ts DESC, seq DESC" walks an index
-- backwards for each filter the console offers.
CREATE TABLE events (
	seq       INTEGER PRIMARY KEY,
	id        TEXT NOT NULL UNIQUE,
	ts        INTEGER NOT NULL,
	cluster   TEXT NOT NULL DEFAULT '',
	namespace TEXT NOT NULL DEFAULT '',
	kind      TEXT NOT NULL DEFAULT '',
	name      TEXT NOT NULL DEFAULT '',
	container TEXT NOT NULL DEFAULT '',
	tab       TEXT NOT NULL DEFAULT '',
	rule      TEXT NOT NULL DEFAULT '',
	action    TEXT NOT NULL DEFAULT '',
	policy    TEXT NOT NULL DEFAULT '',
	user_name TEXT NOT NULL DEFAULT '',
	message   TEXT NOT NULL DEFAULT '',
	operation TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_ts ON events (ts);
CREATE INDEX events_cluster_ts ON events (cluster, ts);
CREATE INDEX events_cluster_namespace_ts ON events (cluster, namespace, ts);
CREATE INDEX events_namespace_ts ON events (namespace, ts);
-- action is carried in the rule index so "rule and action" is decided
-- without reading the row.
CREATE INDEX events_rule_ts ON events (rule, ts, action);
CREATE INDEX events_action_ts ON events (action, ts);
