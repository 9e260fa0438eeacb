-- item_bricks is an index the service maintains in the same transaction as
-- every item write; a per-row foreign-key check on it costs a bulk load of
-- a million items (about three million brick rows) more than the rest of
-- the load. The link is kept by a statement-level trigger instead: deleting
-- items deletes their brick rows, set-based, in the same statement.

ALTER TABLE item_bricks DROP CONSTRAINT item_bricks_identifier_fkey;

CREATE FUNCTION delete_item_bricks() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM item_bricks ib USING gone g WHERE ib.identifier = g.identifier;
    RETURN NULL;
END
$$;

CREATE TRIGGER items_delete_bricks
    AFTER DELETE ON items
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION delete_item_bricks();
