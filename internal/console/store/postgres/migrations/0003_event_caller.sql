-- Whether the request behind an admission event came from an authenticated
-- caller ("authenticated", "unauthenticated"); empty for other events and
-- for those stored before this column.
ALTER TABLE events ADD COLUMN caller text NOT NULL DEFAULT '';
