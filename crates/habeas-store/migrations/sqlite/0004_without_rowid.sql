-- Habeas data store, SQLite, version 4. Never edit once released: add a new file.
-- Subjects keyed by their id in one B-tree (WITHOUT ROWID) instead of a rowid table plus a unique
-- index on the id: one B-tree insert less per new subject (docs/benchmarks-vault.md, "SQLite:
-- phone fast path, fewer B-trees"). Records keep their rowid table: measured as WITHOUT ROWID,
-- their ~300-byte rows made inserts and reads dearer, not cheaper.
CREATE TABLE subjects_v4 (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'closed', 'erased', 'restricted')),
    created_at INTEGER NOT NULL,
    closed_at INTEGER,
    grace_until INTEGER,
    erased_at INTEGER
) WITHOUT ROWID;
INSERT INTO subjects_v4 (id, kind, status, created_at, closed_at, grace_until, erased_at)
    SELECT id, kind, status, created_at, closed_at, grace_until, erased_at FROM subjects;
DROP TABLE subjects;
ALTER TABLE subjects_v4 RENAME TO subjects;
CREATE INDEX subjects_status ON subjects (status, id);
CREATE INDEX subjects_grace ON subjects (grace_until) WHERE grace_until IS NOT NULL;
