-- Habeas data store, PostgreSQL, version 1. Never edit once released: add a new file.
-- Timestamps: microseconds since the Unix epoch (UTC), BIGINT. Values: sealed bytes only.
CREATE TABLE subjects (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'closed', 'erased', 'restricted')),
    created_at BIGINT NOT NULL,
    closed_at BIGINT,
    grace_until BIGINT,
    erased_at BIGINT
);
CREATE INDEX subjects_status ON subjects (status, id);
CREATE INDEX subjects_grace ON subjects (grace_until) WHERE grace_until IS NOT NULL;

CREATE TABLE records (
    id TEXT PRIMARY KEY,
    subject_id TEXT NOT NULL,
    category TEXT NOT NULL,
    collected_at BIGINT NOT NULL,
    source_channel TEXT NOT NULL,
    purposes TEXT NOT NULL,
    last_interaction BIGINT,
    contract_end BIGINT,
    account_closure BIGINT,
    custom_events TEXT NOT NULL,
    incident_linked BOOLEAN NOT NULL,
    retention_due BIGINT,
    sealed BYTEA NOT NULL,
    key_version BIGINT NOT NULL
);
CREATE INDEX records_subject ON records (subject_id, category);
CREATE INDEX records_due ON records (retention_due, id) WHERE retention_due IS NOT NULL;

-- One natively partitioned parent per high-volume category (timed_c<n>), monthly RANGE
-- partitions on collected_at created on demand (timed_c<n>_<yyyymm>).
CREATE TABLE timed_categories (
    cat_no SERIAL PRIMARY KEY,
    category TEXT NOT NULL UNIQUE
);
CREATE TABLE timed_partitions (
    cat_no INTEGER NOT NULL REFERENCES timed_categories (cat_no),
    month INTEGER NOT NULL,
    PRIMARY KEY (cat_no, month)
);

CREATE TABLE blind_index (
    kind TEXT NOT NULL,
    digest BYTEA NOT NULL,
    subject_id TEXT NOT NULL,
    PRIMARY KEY (kind, digest, subject_id)
);
CREATE INDEX blind_index_subject ON blind_index (subject_id);

CREATE TABLE journal (
    seq BIGINT PRIMARY KEY,
    ts BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject_id TEXT,
    category TEXT,
    purpose TEXT,
    details TEXT NOT NULL,
    prev_hash BYTEA NOT NULL,
    hash BYTEA NOT NULL
);
CREATE TABLE journal_checkpoints (
    seq BIGINT PRIMARY KEY,
    hash BYTEA NOT NULL,
    signature BYTEA NOT NULL
);
CREATE TABLE journal_anchor (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    seq BIGINT NOT NULL,
    hash BYTEA NOT NULL
);

CREATE TABLE app_tokens (
    digest BYTEA PRIMARY KEY,
    name TEXT NOT NULL,
    purposes TEXT NOT NULL,
    categories TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE job_leases (
    job TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
