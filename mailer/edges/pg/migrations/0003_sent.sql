-- Copies a worker has sent but whose batch's outbox-state records have not committed yet
-- (edges/pg/marks.py): written right after the server's 250 on a connection of the worker's
-- own, deleted in the transaction that commits the batch's records. A worker that claims an
-- outbox row with a mark writes the record kept here (the one the sender would have
-- committed) instead of sending the copy again.
CREATE TABLE outbox_sent (
    id      text PRIMARY KEY,
    at      timestamptz NOT NULL DEFAULT now(),
    record  jsonb NOT NULL
);
