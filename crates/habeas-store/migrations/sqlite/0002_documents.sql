-- Habeas data store, SQLite, version 2. Never edit once released: add a new file.
-- Small versioned documents of the other domains (requests, consent ledger, breaches, holds,
-- staff). Bodies are sealed by the engine (AEAD, AAD = kind + id): no plaintext here.
CREATE TABLE documents (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    body BLOB NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;
