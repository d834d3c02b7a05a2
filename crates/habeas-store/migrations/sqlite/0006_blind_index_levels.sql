-- Habeas data store, SQLite, version 6. Never edit once released: add a new file.
-- The blind index in two levels plus a by-subject table (sqlite/blind.rs, docs/storage.md).
-- Its digests are random, so every new entry landed on a random page of one large B-tree and
-- a bulk transaction rewrote most of its pages: two thirds of a 1M ingest's bytes and ~40 % of
-- its time (docs/benchmarks-vault.md, session 12). New entries now go to `blind_recent`, kept
-- small; once it holds enough they are merged into `blind_index` in key order, each page of
-- the large B-tree written once per merge. A lookup reads both levels.
CREATE TABLE blind_recent (
    kind TEXT NOT NULL,
    digest BLOB NOT NULL,
    subject_id TEXT NOT NULL,
    PRIMARY KEY (kind, digest, subject_id)
) WITHOUT ROWID;
-- Every entry of either level by subject (erasure, Art. 17; category removal). A table of its
-- own rather than an index on each level: its rows are inserted in subject order, which for
-- new subjects (time-ordered ids) appends, while an index follows the key-ordered inserts of
-- its table and lands at random.
CREATE TABLE blind_by_subject (
    subject_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    digest BLOB NOT NULL,
    PRIMARY KEY (subject_id, kind, digest)
) WITHOUT ROWID;
-- Only a digest's first 16 bytes are kept from now on (sqlite/blind.rs, STORED_DIGEST): the
-- existing entries are rewritten so.
CREATE TABLE blind_index_v6 (
    kind TEXT NOT NULL,
    digest BLOB NOT NULL,
    subject_id TEXT NOT NULL,
    PRIMARY KEY (kind, digest, subject_id)
) WITHOUT ROWID;
INSERT OR IGNORE INTO blind_index_v6 (kind, digest, subject_id)
    SELECT kind, substr(digest, 1, 16), subject_id FROM blind_index;
DROP TABLE blind_index;
ALTER TABLE blind_index_v6 RENAME TO blind_index;
INSERT INTO blind_by_subject (subject_id, kind, digest)
    SELECT subject_id, kind, digest FROM blind_index;
-- How many entries `blind_recent` holds, kept in the same transactions as its rows (a count
-- of a WITHOUT ROWID table walks it).
CREATE TABLE blind_recent_size (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    entries INTEGER NOT NULL
);
INSERT INTO blind_recent_size (singleton, entries) VALUES (1, 0);
-- Subjects by status only where the status is not `active`: listing active subjects walks the
-- table in id order anyway, and the full index cost one B-tree insert per new subject.
DROP INDEX subjects_status;
CREATE INDEX subjects_inactive ON subjects (status, id) WHERE status <> 'active';
