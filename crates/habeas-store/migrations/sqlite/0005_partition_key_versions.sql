-- Habeas data store, SQLite, version 5. Never edit once released: add a new file.
-- The lowest key version of the rows each time partition holds. Rows of key version 2 and above
-- are sealed under their month's partition key (habeas-engine timed_keys.rs): once the engine
-- has destroyed that key, a partition holding only such rows is dropped without zeroing its
-- pages (crypto-shredded already), which keeps the expiry of a large month fast and its memory
-- flat (docs/benchmarks-retention.md). Partitions created before this version may hold rows
-- sealed under the subjects' keys alone: they keep 1 and are zeroed when dropped.
ALTER TABLE timed_partitions ADD COLUMN min_key_version INTEGER NOT NULL DEFAULT 1;
