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

-- The event trail. seq (the rowid) is the arrival order. Pages are read
-- newest first, "ORDER BY ts DESC, seq DESC", walking one index backwards:
-- ListEvents names the index (INDEXED BY) from the filters it has, the
-- most selective first (cluster+namespace, namespace, rule, cluster,
-- action, none), and each index carries the filter columns that may come
-- with its own, so that they are tested on the index entry before the row
-- is read.
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
CREATE INDEX events_ts ON events (ts, seq);
CREATE INDEX events_cluster_namespace ON events (cluster, namespace, ts, seq, rule, action);
CREATE INDEX events_namespace ON events (namespace, ts, seq, rule, action);
CREATE INDEX events_rule ON events (rule, ts, seq, cluster, action);
CREATE INDEX events_cluster ON events (cluster, ts, seq, action);
CREATE INDEX events_action ON events (action, ts, seq);
