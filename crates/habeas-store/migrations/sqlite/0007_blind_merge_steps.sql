-- Habeas data store, SQLite, version 7. Never edit once released: add a new file.
-- The merge of the blind index's first level into the second goes by steps (sqlite/blind.rs).
-- In one statement it held the writer for as long as it took — 0.3–0.6 s at 1M subjects, more
-- with more — and every write and audited read committing meanwhile waited for it: the p99 of
-- single-record POSTs at 1M subjects went from 11 ms to 0.3–0.7 s in a run with a merge
-- (docs/benchmarks-vault.md, session 13). Now each write that adds entries moves a few times
-- as many, in key order, from where the previous step stopped. Where that is: a kind and a
-- bucket of the digests' first two bytes (0–65536) — never an entry's digest, which would
-- outlive the entry's erasure here. No merge under way: `merge_kind` is NULL.
ALTER TABLE blind_recent_size ADD COLUMN merge_kind TEXT;
ALTER TABLE blind_recent_size ADD COLUMN merge_bucket INTEGER;
