-- Habeas data store, PostgreSQL, version 6. Never edit once released: add a new file.
-- A document may be filed under an owner and a state, so that a subject's rights requests and
-- the open ones are found through an index instead of by opening every request of the provider
-- (docs/storage.md, "Documents"). The owner is the vault id of the data subject the document
-- concerns (a random pseudonym, already in plain text beside every record; never a personal
-- value), '' for no one; the state is a short word the kind chooses ('open', 'closed'). NULL
-- means written unfiled (before this version, or by a kind that files nothing): such a
-- document is a candidate for every owner and state, and the caller reads its body to decide.
ALTER TABLE documents ADD COLUMN owner TEXT COLLATE "C";
ALTER TABLE documents ADD COLUMN state TEXT COLLATE "C";
CREATE INDEX documents_by_owner ON documents (kind, owner, id COLLATE "C");
CREATE INDEX documents_by_state ON documents (kind, state, id COLLATE "C");
