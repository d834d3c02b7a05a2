-- Habeas key store, PostgreSQL, version 2. Never edit once released: add a new file.
-- A shred deletes wrapped keys and then rewrites their table (VACUUM FULL), so that no dead
-- tuple keeps a key in the table files. With one table, that rewrite copied every key of the
-- provider under an ACCESS EXCLUSIVE lock: seconds at millions of keys (7 s to expire one month
-- at 10M records, every key read waiting meanwhile). Hash partitions by subject: a shred
-- rewrites only the partitions holding the subjects it touched, 1/64 of the keys for one.
-- The columns sort bytewise ("C"), the order the key rotation pages in, so its pages walk the
-- primary keys instead of sorting the whole table.
CREATE TABLE data_keys_by_subject (
    subject_id TEXT COLLATE "C" NOT NULL,
    category TEXT COLLATE "C" NOT NULL,
    kek_id TEXT NOT NULL,
    wrapped BYTEA NOT NULL,
    PRIMARY KEY (subject_id, category)
) PARTITION BY HASH (subject_id);
DO $$
BEGIN
    FOR i IN 0..63 LOOP
        EXECUTE format(
            'CREATE TABLE data_keys_%s PARTITION OF data_keys_by_subject FOR VALUES WITH (MODULUS 64, REMAINDER %s)',
            i, i);
    END LOOP;
END $$;
INSERT INTO data_keys_by_subject (subject_id, category, kek_id, wrapped)
    SELECT subject_id, category, kek_id, wrapped FROM data_keys;
DROP TABLE data_keys;
ALTER TABLE data_keys_by_subject RENAME TO data_keys;
