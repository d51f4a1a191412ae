-- The console overview's counts, per hour (hour: the hour's start, Unix
-- microseconds): events by action; by action and rule; by action, cluster
-- and namespace (namespaced events only), and the last per UTC day too
-- (day: the day's start), since namespaces are the dimension that grows (a
-- week of them is then two partial days of hours and six days, not 168
-- hours). AppendEvents adds to them in the transaction that stores the
-- events, counting only events new to the store, so a retried event counts
-- once. A week of counts is a few thousand rows however long the trail
-- (docs/performance.md).
CREATE TABLE event_hours (
	hour   INTEGER NOT NULL,
	action TEXT NOT NULL,
	n      INTEGER NOT NULL,
	PRIMARY KEY (hour, action)
) WITHOUT ROWID;
CREATE TABLE event_rule_hours (
	action TEXT NOT NULL,
	hour   INTEGER NOT NULL,
	rule   TEXT NOT NULL,
	n      INTEGER NOT NULL,
	PRIMARY KEY (action, hour, rule)
) WITHOUT ROWID;
CREATE TABLE event_namespace_hours (
	action    TEXT NOT NULL,
	hour      INTEGER NOT NULL,
	cluster   TEXT NOT NULL,
	namespace TEXT NOT NULL,
	n         INTEGER NOT NULL,
	PRIMARY KEY (action, hour, cluster, namespace)
) WITHOUT ROWID;
CREATE TABLE event_namespace_days (
	action    TEXT NOT NULL,
	day       INTEGER NOT NULL,
	cluster   TEXT NOT NULL,
	namespace TEXT NOT NULL,
	n         INTEGER NOT NULL,
	PRIMARY KEY (action, day, cluster, namespace)
) WITHOUT ROWID;

-- The trail stored so far (the hour rounds down, before 1970 too).
INSERT INTO event_hours (hour, action, n)
	SELECT ts - ((ts % 3600000000) + 3600000000) % 3600000000 AS h, action, COUNT(*)
	FROM events GROUP BY h, action;
INSERT INTO event_rule_hours (action, hour, rule, n)
	SELECT action, ts - ((ts % 3600000000) + 3600000000) % 3600000000 AS h, rule, COUNT(*)
	FROM events GROUP BY action, h, rule;
INSERT INTO event_namespace_hours (action, hour, cluster, namespace, n)
	SELECT action, ts - ((ts % 3600000000) + 3600000000) % 3600000000 AS h, cluster, namespace, COUNT(*)
	FROM events WHERE namespace <> '' GROUP BY action, h, cluster, namespace;
INSERT INTO event_namespace_days (action, day, cluster, namespace, n)
	SELECT action, ts - ((ts % 86400000000) + 86400000000) % 86400000000 AS d, cluster, namespace, COUNT(*)
	FROM events WHERE namespace <> '' GROUP BY action, d, cluster, namespace;
