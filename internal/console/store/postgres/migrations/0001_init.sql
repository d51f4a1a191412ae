-- Palisade console schema, PostgreSQL dialect.

CREATE TABLE policies (
	name       text PRIMARY KEY,
	-- The JSON document byte for byte (jsonb would reformat it).
	body       bytea NOT NULL,
	version    bigint NOT NULL,
	created_at timestamptz NOT NULL,
	updated_at timestamptz NOT NULL
);

CREATE TABLE rulesets (
	name       text PRIMARY KEY,
	body       bytea NOT NULL,
	version    bigint NOT NULL,
	created_at timestamptz NOT NULL,
	updated_at timestamptz NOT NULL
);

CREATE TABLE clusters (
	name         text PRIMARY KEY,
	-- NULL: no policy assigned.
	policy       text REFERENCES policies (name) ON DELETE RESTRICT,
	-- SHA-256 of the agent token; NULL when the cluster has none.
	token_hash   bytea UNIQUE,
	created_at   timestamptz NOT NULL,
	-- NULL: the agent never called.
	last_seen    timestamptz,
	agent_policy text NOT NULL DEFAULT ''
);
CREATE INDEX clusters_policy ON clusters (policy);

-- The event trail. seq is the arrival order; every index below ends with
-- (ts, seq) so "ORDER BY ts DESC, seq DESC" walks it backwards for each
-- filter the console offers.
CREATE TABLE events (
	id        text PRIMARY KEY,
	seq       bigserial NOT NULL,
	ts        timestamptz NOT NULL,
	cluster   text NOT NULL DEFAULT '',
	namespace text NOT NULL DEFAULT '',
	kind      text NOT NULL DEFAULT '',
	name      text NOT NULL DEFAULT '',
	container text NOT NULL DEFAULT '',
	tab       text NOT NULL DEFAULT '',
	rule      text NOT NULL DEFAULT '',
	action    text NOT NULL DEFAULT '',
	policy    text NOT NULL DEFAULT '',
	user_name text NOT NULL DEFAULT '',
	message   text NOT NULL DEFAULT '',
	operation text NOT NULL DEFAULT ''
);
CREATE INDEX events_ts ON events (ts, seq);
CREATE INDEX events_cluster_ts ON events (cluster, ts, seq);
CREATE INDEX events_cluster_namespace_ts ON events (cluster, namespace, ts, seq);
CREATE INDEX events_namespace_ts ON events (namespace, ts, seq);
CREATE INDEX events_rule_ts ON events (rule, ts, seq);
CREATE INDEX events_rule_action_ts ON events (rule, action, ts, seq);
CREATE INDEX events_action_ts ON events (action, ts, seq);
