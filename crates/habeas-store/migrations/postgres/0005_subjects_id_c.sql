-- Habeas data store, PostgreSQL, version 5. Never edit once released: add a new file.
-- Subjects are paged by `id COLLATE "C"` (the byte order both backends share: statistics,
-- breach sizing), but the primary key indexes `id` in the database's default collation,
-- which PostgreSQL cannot use for that order: every page sorted every subject (31 ms a
-- page at 200,000 subjects). The same order, indexed.
CREATE INDEX subjects_id_c ON subjects (id COLLATE "C");
