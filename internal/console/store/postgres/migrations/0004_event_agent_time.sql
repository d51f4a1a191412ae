-- The time the agent gave an event whose time was outside the console's
-- window around its own clock (ts is then when the console received it);
-- NULL for every other event and for those stored before this column.
ALTER TABLE events ADD COLUMN agent_ts timestamptz;
