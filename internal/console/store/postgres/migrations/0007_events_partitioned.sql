-- The event trail, partitioned by day: events_YYYYMMDD holds the events
-- whose ts falls on that UTC day, events_default every other one (an
-- event dated before the oldest day partition or after the newest), so no
-- event is ever refused for its date. The store creates the partitions of
-- the days around now ahead of time (postgres/partitions.go), and retention
-- drops a whole day's partition: dropping a table costs the same whatever
-- it holds, where deleting its rows one by one costs each row, its index
-- entries, its WAL and the vacuum after.
--
-- A partitioned table's unique key must hold its partition key, so an
-- event is unique by (id, ts): an agent retries an event with its ID and
-- time, so a retry is still stored once (AppendEvents, postgres/events.go,
-- also covers the events whose time the console rewrote).
--
-- Existing events are copied: one partition per UTC day that has events
-- (days within the last ten years up to two days ahead; any other date
-- goes to the default partition). seq keeps its sequence, so arrival order
-- goes on where it stopped.

ALTER SEQUENCE events_seq_seq OWNED BY NONE;

CREATE TABLE events_by_day (
	id        text NOT NULL,
	seq       bigint NOT NULL DEFAULT nextval('events_seq_seq'),
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
	operation text NOT NULL DEFAULT '',
	caller    text NOT NULL DEFAULT '',
	agent_ts  timestamptz
) PARTITION BY RANGE (ts);

DO $$
DECLARE
	d date;
BEGIN
	FOR d IN SELECT DISTINCT (ts AT TIME ZONE 'UTC')::date FROM events
		WHERE ts >= now() - interval '10 years' AND ts < now() + interval '3 days'
	LOOP
		EXECUTE format('CREATE TABLE %I PARTITION OF events_by_day FOR VALUES FROM (%L) TO (%L)',
			'events_' || to_char(d, 'YYYYMMDD'), d::timestamp AT TIME ZONE 'UTC', (d + 1)::timestamp AT TIME ZONE 'UTC');
	END LOOP;
END $$;
CREATE TABLE events_default PARTITION OF events_by_day DEFAULT;

INSERT INTO events_by_day (id, seq, ts, cluster, namespace, kind, name, container, tab, rule, action, policy,
		user_name, message, operation, caller, agent_ts)
	SELECT id, seq, ts, cluster, namespace, kind, name, container, tab, rule, action, policy,
		user_name, message, operation, caller, agent_ts
	FROM events;
DROP TABLE events;
ALTER TABLE events_by_day RENAME TO events;
ALTER SEQUENCE events_seq_seq OWNED BY events.seq;

-- The keys and indexes of 0001, on every partition (the id first, so that
-- AppendEvents can look an ID up in each).
ALTER TABLE events ADD PRIMARY KEY (id, ts);
CREATE INDEX events_ts ON events (ts, seq);
CREATE INDEX events_cluster_ts ON events (cluster, ts, seq);
CREATE INDEX events_cluster_namespace_ts ON events (cluster, namespace, ts, seq);
CREATE INDEX events_namespace_ts ON events (namespace, ts, seq);
CREATE INDEX events_rule_ts ON events (rule, ts, seq);
CREATE INDEX events_rule_action_ts ON events (rule, action, ts, seq);
CREATE INDEX events_action_ts ON events (action, ts, seq);
