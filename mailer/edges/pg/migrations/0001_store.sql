-- The store (mailer/store.py) in PostgreSQL. Every exactly-once key is a constraint.

-- journal records, in commit order (ids are taken under the commit lock, store.py); the
-- in-memory State is folded from them and kept current by reading ids past the last seen.
-- `key` names what may exist once: outbox:<id>, thread:<id>, hold:<id>, quarantine:<id>
CREATE TABLE records (
    id      bigserial PRIMARY KEY,
    key     text UNIQUE,
    record  jsonb NOT NULL
);

-- small documents by table and key (cursors, schedules, what each calendar was sent)
CREATE TABLE metadata (
    tbl     text NOT NULL,
    key     text NOT NULL,
    n       bigserial,
    value   jsonb NOT NULL,
    PRIMARY KEY (tbl, key)
);

-- outgoing messages' bytes: an outbox record names (segment, part, length)
CREATE TABLE outgoing (
    segment text NOT NULL,
    part    integer NOT NULL,
    data    bytea NOT NULL,
    written timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (segment, part)
);
CREATE INDEX outgoing_written ON outgoing (written);

-- raw inbound mail exactly as received; pending until its outcome is committed
CREATE TABLE archive (
    key        text PRIMARY KEY,
    data       bytea NOT NULL,
    state      text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done')),
    received   timestamptz NOT NULL DEFAULT now(),
    claimed_by text
);
CREATE INDEX archive_pending ON archive (key) WHERE state = 'pending';

-- what is waiting to be sent, claimed by one worker at a time (FOR UPDATE SKIP LOCKED);
-- the outcome itself is an outbox-state record
CREATE TABLE outbox (
    id      text PRIMARY KEY,
    state   text NOT NULL,
    due     timestamptz
);
CREATE INDEX outbox_waiting ON outbox (due) WHERE state IN ('queued', 'deferred');

-- changes asked for with `cop` while workers run
CREATE TABLE requests (
    id      bigserial PRIMARY KEY,
    records jsonb NOT NULL,
    made    timestamptz NOT NULL DEFAULT now()
);

-- attachments, once each, by sha256 (hex)
CREATE TABLE files (
    sha256  text PRIMARY KEY,
    data    bytea NOT NULL
);
