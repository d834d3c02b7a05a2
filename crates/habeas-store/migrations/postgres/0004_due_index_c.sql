-- Habeas data store, PostgreSQL, version 4. Never edit once released: add a new file.
-- The retention listing pages by (retention_due, id COLLATE "C") — the byte order both
-- backends share — but version 1 indexed `id` in the database's default collation, which
-- PostgreSQL cannot use for that order: every due record was read and sorted for each
-- page (30–280 ms a page with a million due). Same index, in the order the query asks.
CREATE INDEX records_due_c ON records (retention_due, id COLLATE "C") WHERE retention_due IS NOT NULL;
DROP INDEX records_due;
