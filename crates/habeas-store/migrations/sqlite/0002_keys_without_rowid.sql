-- Habeas key store, SQLite, version 2. Never edit once released: add a new file.
-- Wrapped data keys keyed by (subject, category) in one B-tree (WITHOUT ROWID) instead of a rowid
-- table plus its primary-key index: one B-tree insert less per new data key.
CREATE TABLE data_keys_v2 (
    subject_id TEXT NOT NULL,
    category TEXT NOT NULL,
    kek_id TEXT NOT NULL,
    wrapped BLOB NOT NULL,
    PRIMARY KEY (subject_id, category)
) WITHOUT ROWID;
INSERT INTO data_keys_v2 (subject_id, category, kek_id, wrapped)
    SELECT subject_id, category, kek_id, wrapped FROM data_keys;
DROP TABLE data_keys;
ALTER TABLE data_keys_v2 RENAME TO data_keys;
