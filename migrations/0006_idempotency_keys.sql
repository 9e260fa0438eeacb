-- Idempotency keys (the IETF httpapi draft's Idempotency-Key): the answer
-- of a POST that carried one, kept so that a retry with the same key gets
-- the same answer instead of running again. A row with no status is a
-- request still running (or one whose replica died: its claim expires).
CREATE TABLE idempotency_keys (
    caller text NOT NULL,
    key text NOT NULL,
    route text NOT NULL,
    request_hash bytea NOT NULL,
    status smallint,
    content_type text,
    location text,
    etag text,
    body bytea,
    claimed_at timestamptz NOT NULL DEFAULT now(),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (caller, key)
);

CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);
