-- The number of candidates per signature and status, so that an exact
-- lookup counts its candidates with one key lookup instead of walking a
-- range as long as the hottest brick set (16,000 alternates in a 1M-item
-- catalog). Kept by a trigger on items for single writes; bulk loads set
-- `catalog.copies_maintained` and rebuild the counts they touch, set-based.

CREATE TABLE signature_counts (
    signature    bytea NOT NULL,
    status_rank  smallint NOT NULL,
    items        bigint NOT NULL CHECK (items >= 0),
    PRIMARY KEY (signature, status_rank)
);

INSERT INTO signature_counts (signature, status_rank, items)
SELECT signature, status_rank, count(*)
FROM items WHERE status_rank IS NOT NULL
GROUP BY signature, status_rank;

CREATE FUNCTION count_signatures() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('catalog.copies_maintained', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE'
       AND OLD.signature = NEW.signature
       AND OLD.status_rank IS NOT DISTINCT FROM NEW.status_rank THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status_rank IS NOT NULL THEN
        UPDATE signature_counts SET items = items - 1
        WHERE signature = OLD.signature AND status_rank = OLD.status_rank;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.status_rank IS NOT NULL THEN
        INSERT INTO signature_counts (signature, status_rank, items)
        VALUES (NEW.signature, NEW.status_rank, 1)
        ON CONFLICT (signature, status_rank) DO UPDATE SET items = signature_counts.items + 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER items_count_signatures
    AFTER INSERT OR DELETE OR UPDATE OF signature, status_rank ON items
    FOR EACH ROW EXECUTE FUNCTION count_signatures();
