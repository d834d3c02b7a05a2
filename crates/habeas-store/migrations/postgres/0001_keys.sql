-- Habeas key store, PostgreSQL, version 1. Never edit once released: add a new file.
CREATE TABLE data_keys (
    subject_id TEXT NOT NULL,
    category TEXT NOT NULL,
    kek_id TEXT NOT NULL,
    wrapped BYTEA NOT NULL,
    PRIMARY KEY (subject_id, category)
);
