-- Habeas data store, SQLite, version 8. Never edit once released: add a new file.
-- A document may be filed under an owner — the vault id of the data subject it concerns
-- (a random pseudonym, already in plain text beside every record; never a personal value) —
-- so that a subject's rights requests are found through an index instead of by opening every
-- request of the provider (docs/rights.md). '' means "owned by no one"; NULL means written
-- without an owner (before this version, or by a kind that has none): such a document is a
-- candidate for every owner and the caller reads its body to decide.
ALTER TABLE documents ADD COLUMN owner TEXT;
CREATE INDEX documents_by_owner ON documents (kind, owner, id);
