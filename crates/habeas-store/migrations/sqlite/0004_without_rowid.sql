-- Habeas data store, SQLite, version 4. Never edit once released: add a new file.
-- Subjects and records keyed by their id in one B-tree (WITHOUT ROWID) instead of a rowid table
-- plus a unique index on the id: one B-tree insert less per subject and per record in the bulk
-- ingest (docs/benchmarks-vault.md, "SQLite: fewer B-trees"). Rows are rebuilt, indexes recreated.
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

CREATE TABLE records_v4 (
    id TEXT PRIMARY KEY,
    subject_id TEXT NOT NULL,
    category TEXT NOT NULL,
    collected_at INTEGER NOT NULL,
    source_channel TEXT NOT NULL,
    purposes TEXT NOT NULL,
    last_interaction INTEGER,
    contract_end INTEGER,
    account_closure INTEGER,
    custom_events TEXT NOT NULL,
    incident_linked INTEGER NOT NULL,
    retention_due INTEGER,
    sealed BLOB NOT NULL,
    key_version INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO records_v4 (id, subject_id, category, collected_at, source_channel, purposes,
    last_interaction, contract_end, account_closure, custom_events, incident_linked, retention_due,
    sealed, key_version)
    SELECT id, subject_id, category, collected_at, source_channel, purposes, last_interaction,
    contract_end, account_closure, custom_events, incident_linked, retention_due, sealed, key_version
    FROM records ORDER BY id;
DROP TABLE records;
ALTER TABLE records_v4 RENAME TO records;
CREATE INDEX records_subject ON records (subject_id, category);
CREATE INDEX records_due ON records (retention_due, id) WHERE retention_due IS NOT NULL;
