-- Habeas data store, SQLite, version 3. Never edit once released: add a new file.
-- The journal by subject: "when and why was my data accessed" (GDPR Art. 15(1),
-- CJEU C-579/21) without scanning the whole journal.
CREATE INDEX journal_subject ON journal (subject_id, seq) WHERE subject_id IS NOT NULL;
