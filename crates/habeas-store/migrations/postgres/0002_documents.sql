-- Habeas data store, PostgreSQL, version 2. Never edit once released: add a new file.
-- Small versioned documents of the other domains (requests, consent ledger, breaches, holds,
-- staff). Bodies are sealed by the engine (AEAD, AAD = kind + id): no plaintext here.
CREATE TABLE documents (
    kind TEXT NOT NULL,
    id TEXT COLLATE "C" NOT NULL,
    version BIGINT NOT NULL,
    body BYTEA NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (kind, id)
);
