-- Lookups return candidates already in rank order, straight from an index,
-- and read only the few they return, however many items match (a popular
-- brick set can have thousands of alternates).
--
-- For that, each item's status rank and price are copied onto the rows the
-- lookups scan: `items` (exact matching, by signature) and `item_bricks`
-- (contains matching, by brick). `master_data` stays the record; a trigger
-- keeps the copies in step with it, and item writes copy them from `items`.
-- Bulk loads set `catalog.copies_maintained` for their transaction and
-- write the copies in bulk themselves.

ALTER TABLE items ADD COLUMN status_rank smallint, ADD COLUMN price numeric;
ALTER TABLE item_bricks ADD COLUMN status_rank smallint, ADD COLUMN price numeric;

UPDATE items i SET status_rank = md.status_rank, price = md.price
FROM master_data md WHERE md.identifier = i.identifier;
UPDATE item_bricks ib SET status_rank = md.status_rank, price = md.price
FROM master_data md WHERE md.identifier = ib.identifier;

-- Exact: one range per (signature, status), in price and identifier order.
DROP INDEX items_signature_idx;
CREATE INDEX items_signature_idx ON items (signature, status_rank, price, identifier);

-- Contains: one range per (brick, status), in price and identifier order;
-- multiplicity is included so that counting needs no table access. The
-- pairs (brick, identifier) are unique by construction (one row per
-- distinct brick of an item), so this index replaces the primary key.
ALTER TABLE item_bricks DROP CONSTRAINT item_bricks_pkey;
CREATE INDEX item_bricks_candidates_idx
    ON item_bricks (brick, status_rank, price, identifier) INCLUDE (multiplicity);

CREATE FUNCTION copy_master_data() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('catalog.copies_maintained', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' THEN
        UPDATE items SET status_rank = NULL, price = NULL WHERE identifier = OLD.identifier;
        UPDATE item_bricks SET status_rank = NULL, price = NULL WHERE identifier = OLD.identifier;
    ELSE
        UPDATE items SET status_rank = NEW.status_rank, price = NEW.price
        WHERE identifier = NEW.identifier;
        UPDATE item_bricks SET status_rank = NEW.status_rank, price = NEW.price
        WHERE identifier = NEW.identifier;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER master_data_copies
    AFTER INSERT OR UPDATE OR DELETE ON master_data
    FOR EACH ROW EXECUTE FUNCTION copy_master_data();
