-- The catalog: items, the inverted brick index that serves `contains`
-- lookups, and master data.
--
-- Identifiers use the "C" collation so that ordering (keyset pagination and
-- the rank tie-break) is plain byte order, independent of the server locale.

CREATE TABLE items (
    identifier          text COLLATE "C" PRIMARY KEY
                        CHECK (identifier ~ '^[A-Za-z0-9._:-]{1,64}$'),
    -- The bricks exactly as given, as three parallel arrays: the design of
    -- each brick, how many colours it has, and all colours concatenated.
    -- Arrays keep storage compact and COPY-friendly while preserving order.
    brick_designs       integer[] NOT NULL,
    brick_color_counts  integer[] NOT NULL,
    brick_colors        integer[] NOT NULL,
    -- SHA-256 of the canonical (sorted) brick multiset: equal multisets have
    -- equal signatures, so `exact` matching is one index probe.
    signature           bytea NOT NULL CHECK (octet_length(signature) = 32),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK (cardinality(brick_designs) BETWEEN 1 AND 1000),
    CHECK (cardinality(brick_designs) = cardinality(brick_color_counts))
);

CREATE INDEX items_signature_idx ON items (signature);
-- Serves the `design_id` filter of GET /items.
CREATE INDEX items_brick_designs_idx ON items USING gin (brick_designs);

-- One row per distinct brick of an item, with how often it occurs. `brick`
-- is the exact big-endian encoding of the design id followed by the colour
-- codes, so equal bricks have equal keys and there are no hash collisions.
CREATE TABLE item_bricks (
    brick         bytea NOT NULL,
    identifier    text COLLATE "C" NOT NULL REFERENCES items (identifier) ON DELETE CASCADE,
    multiplicity  integer NOT NULL CHECK (multiplicity > 0),
    PRIMARY KEY (brick, identifier)
);

-- Serves the cascade on delete and the replacement of an item's bricks.
CREATE INDEX item_bricks_identifier_idx ON item_bricks (identifier);

CREATE TABLE master_data (
    identifier  text COLLATE "C" PRIMARY KEY REFERENCES items (identifier) ON DELETE CASCADE,
    status      text NOT NULL
                CHECK (status IN ('Normal', 'Novelty', 'Outgoing', 'Discontinued')),
    -- Rank of the status, 0 (Normal) to 3 (Discontinued), kept by the
    -- database so that no write path can let it drift from `status`.
    status_rank smallint GENERATED ALWAYS AS (
                    CASE status
                        WHEN 'Normal' THEN 0
                        WHEN 'Novelty' THEN 1
                        WHEN 'Outgoing' THEN 2
                        ELSE 3
                    END
                ) STORED,
    price       numeric NOT NULL CHECK (price > 0 AND price <= 1000000000 AND scale(price) <= 4),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Serves the `status` filter of GET /masterdata in identifier order.
CREATE INDEX master_data_status_idx ON master_data (status, identifier);
