-- Habeas data store, SQLite, version 1. Never edit once released: add a new file.
-- Timestamps: microseconds since the Unix epoch (UTC). Values: sealed bytes only.
CREATE TABLE subjects (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'closed', 'erased', 'restricted')),
    created_at INTEGER NOT NULL,
    closed_at INTEGER,
    grace_until INTEGER,
    erased_at INTEGER
);
CREATE INDEX subjects_status ON subjects (status, id);
CREATE INDEX subjects_grace ON subjects (grace_until) WHERE grace_until IS NOT NULL;

CREATE TABLE records (
    rid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
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
);
CREATE INDEX records_subject ON records (subject_id, category);
CREATE INDEX records_due ON records (retention_due, id) WHERE retention_due IS NOT NULL;

-- One table per (category, month) for high-volume categories, named timed_<part_no>.
CREATE TABLE timed_partitions (
    part_no INTEGER PRIMARY KEY AUTOINCREMENT,
    category TEXT NOT NULL,
    month INTEGER NOT NULL,
    UNIQUE (category, month)
);

CREATE TABLE blind_index (
    kind TEXT NOT NULL,
    digest BLOB NOT NULL,
    subject_id TEXT NOT NULL,
    PRIMARY KEY (kind, digest, subject_id)
) WITHOUT ROWID;
CREATE INDEX blind_index_subject ON blind_index (subject_id);

CREATE TABLE journal (
    seq INTEGER PRIMARY KEY,
    ts INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject_id TEXT,
    category TEXT,
    purpose TEXT,
    details TEXT NOT NULL,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL
);
CREATE TABLE journal_checkpoints (
    seq INTEGER PRIMARY KEY,
    hash BLOB NOT NULL,
    signature BLOB NOT NULL
);
CREATE TABLE journal_anchor (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    seq INTEGER NOT NULL,
    hash BLOB NOT NULL
);

CREATE TABLE app_tokens (
    digest BLOB PRIMARY KEY,
    name TEXT NOT NULL,
    purposes TEXT NOT NULL,
    categories TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

CREATE TABLE job_leases (
    job TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
