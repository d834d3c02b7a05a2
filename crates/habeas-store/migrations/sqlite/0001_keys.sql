-- Habeas key store, SQLite, version 1. Never edit once released: add a new file.
CREATE TABLE data_keys (
    subject_id TEXT NOT NULL,
    category TEXT NOT NULL,
    kek_id TEXT NOT NULL,
    wrapped BLOB NOT NULL,
    PRIMARY KEY (subject_id, category)
);
