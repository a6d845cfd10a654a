-- A `cop` verb that writes (cop holds approve, quarantine release/discard, attendance, digest
-- send) while workers run leaves its request here and waits for the leader's answer, which
-- is kept in the same row until the verb takes it (or for a day).
ALTER TABLE requests ADD COLUMN answer jsonb;
ALTER TABLE requests ADD COLUMN answered timestamptz;
CREATE INDEX requests_waiting ON requests (id) WHERE answer IS NULL;
