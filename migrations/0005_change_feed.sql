-- The change feed: every committed change to items or master data names
-- the identifiers it touched, in the same transaction, so that replicas
-- holding the catalog in memory can follow the tables.
--
-- Statement-level triggers with transition tables write it, whatever the
-- write path: the API, bulk loads (COPY fires them too), `import`, or an
-- operator's SQL. A transaction that touches more than 10,000 identifiers
-- writes one marker row (identifier NULL) instead, and so does TRUNCATE:
-- replicas then load a fresh snapshot rather than replaying the rows.
--
-- Readers never ask for "rows after the last sequence number": numbers are
-- taken before commit, so a transaction that commits late would be
-- skipped. They read by transaction id, below the oldest transaction still
-- running; see ARCHITECTURE.md, "The in-memory catalog".

CREATE TABLE catalog_changes (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    xid          xid8 NOT NULL DEFAULT pg_current_xact_id(),
    identifier   text COLLATE "C",
    recorded_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX catalog_changes_xid_idx ON catalog_changes (xid);

-- Trimming removes old rows and raises `trimmed_below` in the same
-- transaction: a replica whose position is below it has missed rows and
-- reloads a snapshot.
CREATE TABLE catalog_feed (
    only_row       boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    trimmed_below  xid8 NOT NULL DEFAULT '0'
);
INSERT INTO catalog_feed DEFAULT VALUES;

-- Whether a statement touching `touched` identifiers (0 to 10,001) may name
-- them; false when it must not, because a marker stands for the whole
-- transaction. Wakes the replicas; PostgreSQL sends one notification per
-- transaction, at commit, and none on rollback.
CREATE FUNCTION catalog_feed_may_record(touched bigint) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    recorded bigint := coalesce(nullif(current_setting('catalog.feed_rows', true), ''), '0')::bigint;
BEGIN
    IF touched = 0 THEN
        RETURN false;
    END IF;
    PERFORM pg_notify('catalog_changes', '');
    IF recorded >= 0 AND recorded + touched <= 10000 THEN
        PERFORM set_config('catalog.feed_rows', (recorded + touched)::text, true);
        RETURN true;
    END IF;
    IF recorded >= 0 THEN
        INSERT INTO catalog_changes (identifier) VALUES (NULL);
        PERFORM set_config('catalog.feed_rows', '-1', true);
    END IF;
    RETURN false;
END
$$;

CREATE FUNCTION catalog_feed_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM catalog_feed_may_record(10001);
    RETURN NULL;
END
$$;

-- Each trigger returns at once when its transaction has written a marker
-- already (a bulk load after TRUNCATE): there is nothing left to name.
CREATE FUNCTION catalog_feed_marked() RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT current_setting('catalog.feed_rows', true) = '-1'
$$;

CREATE FUNCTION catalog_feed_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF catalog_feed_marked() THEN
        RETURN NULL;
    END IF;
    IF catalog_feed_may_record((SELECT count(*) FROM (SELECT 1 FROM new_rows LIMIT 10001) s)) THEN
        INSERT INTO catalog_changes (identifier) SELECT identifier FROM new_rows;
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION catalog_feed_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF catalog_feed_marked() THEN
        RETURN NULL;
    END IF;
    IF catalog_feed_may_record((SELECT count(*) FROM (SELECT 1 FROM old_rows LIMIT 10001) s)) THEN
        INSERT INTO catalog_changes (identifier) SELECT identifier FROM old_rows;
    END IF;
    RETURN NULL;
END
$$;

-- Updates name an item only when its bricks changed: the status and price
-- copies that master data writes onto items are master data's own change.
CREATE FUNCTION catalog_feed_items_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF catalog_feed_marked() THEN
        RETURN NULL;
    END IF;
    IF catalog_feed_may_record((SELECT count(*) FROM (
        SELECT 1
        FROM new_rows n FULL JOIN old_rows o ON o.identifier = n.identifier
        WHERE n.identifier IS NULL OR o.identifier IS NULL
           OR (n.brick_designs, n.brick_color_counts, n.brick_colors) IS DISTINCT FROM (o.brick_designs, o.brick_color_counts, o.brick_colors)
        LIMIT 10001) s))
    THEN
        INSERT INTO catalog_changes (identifier)
        SELECT coalesce(n.identifier, o.identifier)
        FROM new_rows n FULL JOIN old_rows o ON o.identifier = n.identifier
        WHERE n.identifier IS NULL OR o.identifier IS NULL
           OR (n.brick_designs, n.brick_color_counts, n.brick_colors) IS DISTINCT FROM (o.brick_designs, o.brick_color_counts, o.brick_colors);
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION catalog_feed_master_data_updated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF catalog_feed_marked() THEN
        RETURN NULL;
    END IF;
    IF catalog_feed_may_record((SELECT count(*) FROM (
        SELECT 1
        FROM new_rows n FULL JOIN old_rows o ON o.identifier = n.identifier
        WHERE n.identifier IS NULL OR o.identifier IS NULL
           OR (n.status, n.price) IS DISTINCT FROM (o.status, o.price)
        LIMIT 10001) s))
    THEN
        INSERT INTO catalog_changes (identifier)
        SELECT coalesce(n.identifier, o.identifier)
        FROM new_rows n FULL JOIN old_rows o ON o.identifier = n.identifier
        WHERE n.identifier IS NULL OR o.identifier IS NULL
           OR (n.status, n.price) IS DISTINCT FROM (o.status, o.price);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER items_feed_insert AFTER INSERT ON items
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_feed_inserted();
CREATE TRIGGER items_feed_update AFTER UPDATE ON items
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_feed_items_updated();
CREATE TRIGGER items_feed_delete AFTER DELETE ON items
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_feed_deleted();
CREATE TRIGGER items_feed_truncate AFTER TRUNCATE ON items
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_feed_truncate();

CREATE TRIGGER master_data_feed_insert AFTER INSERT ON master_data
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_feed_inserted();
CREATE TRIGGER master_data_feed_update AFTER UPDATE ON master_data
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_feed_master_data_updated();
CREATE TRIGGER master_data_feed_delete AFTER DELETE ON master_data
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_feed_deleted();
CREATE TRIGGER master_data_feed_truncate AFTER TRUNCATE ON master_data
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_feed_truncate();
