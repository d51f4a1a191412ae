-- Image scan results: the console's scan-result index, one row per image
-- by its key (a digest, or "ref:" and a reference), the image as JSON. The
-- console loads every row at start and mirrors each import.
CREATE TABLE scan_images (
	key        text PRIMARY KEY,
	body       bytea NOT NULL,
	updated_at timestamptz NOT NULL
);
