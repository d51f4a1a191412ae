-- The overview's counts (a first measurement: plain GROUP BY over covering
-- indexes).
CREATE INDEX events_ts_action ON events (ts, action);
CREATE INDEX events_action_cover ON events (action, ts, rule, cluster, namespace);
