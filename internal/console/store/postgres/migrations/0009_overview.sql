-- The console overview's counts, per hour (hour: the hour's start, UTC):
-- events by action; by action and rule; by action, cluster and namespace
-- (namespaced events only), and the last per UTC day too (day: the day's
-- start), since namespaces are the dimension that grows (a week of them is
-- then two partial days of hours and six days, not 168 hours).
-- AppendEvents adds to them in the statement that stores the events,
-- counting only events new to the store, so a retried event counts once. A
-- week of counts is a few thousand rows however long the trail
-- (docs/performance.md).
--
-- Each primary key holds the count too (INCLUDE (n)), so that reads are
-- index-only scans: the upserts move a row's new version to wherever the
-- heap has room, and a week's rows, read from the heap, were then a page
-- each (82 ms for the week's namespaces at 10,000,000 events, against
-- 1.2 ms index-only). An index-only scan needs the visibility map, which
-- vacuum sets: a past hour's rows no longer change, so after one vacuum
-- only the current hour's pages are read from the heap. Autovacuum is
-- asked to come by often (these tables are small).
CREATE TABLE event_hours (
	hour   timestamptz NOT NULL,
	action text NOT NULL,
	n      bigint NOT NULL,
	PRIMARY KEY (hour, action) INCLUDE (n)
);
CREATE TABLE event_rule_hours (
	action text NOT NULL,
	hour   timestamptz NOT NULL,
	rule   text NOT NULL,
	n      bigint NOT NULL,
	PRIMARY KEY (action, hour, rule) INCLUDE (n)
);
CREATE TABLE event_namespace_hours (
	action    text NOT NULL,
	hour      timestamptz NOT NULL,
	cluster   text NOT NULL,
	namespace text NOT NULL,
	n         bigint NOT NULL,
	PRIMARY KEY (action, hour, cluster, namespace) INCLUDE (n)
);
CREATE TABLE event_namespace_days (
	action    text NOT NULL,
	day       timestamptz NOT NULL,
	cluster   text NOT NULL,
	namespace text NOT NULL,
	n         bigint NOT NULL,
	PRIMARY KEY (action, day, cluster, namespace) INCLUDE (n)
);
ALTER TABLE event_hours SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02);
ALTER TABLE event_rule_hours SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02);
ALTER TABLE event_namespace_hours SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02);
ALTER TABLE event_namespace_days SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02);

-- The trail stored so far.
INSERT INTO event_hours (hour, action, n)
	SELECT date_trunc('hour', ts, 'UTC') AS h, action, COUNT(*) FROM events GROUP BY h, action;
INSERT INTO event_rule_hours (action, hour, rule, n)
	SELECT action, date_trunc('hour', ts, 'UTC') AS h, rule, COUNT(*) FROM events GROUP BY action, h, rule;
INSERT INTO event_namespace_hours (action, hour, cluster, namespace, n)
	SELECT action, date_trunc('hour', ts, 'UTC') AS h, cluster, namespace, COUNT(*)
	FROM events WHERE namespace <> '' GROUP BY action, h, cluster, namespace;
INSERT INTO event_namespace_days (action, day, cluster, namespace, n)
	SELECT action, date_trunc('day', ts, 'UTC') AS d, cluster, namespace, COUNT(*)
	FROM events WHERE namespace <> '' GROUP BY action, d, cluster, namespace;
