-- Candidates of `contains` queries that want one distinct brick (any
-- number of times). Like the exact lookup, but over the brick's posting
-- list in item_bricks_candidates_idx: the count reads the index only, and
-- each status range stops at `take` rows.
-- See src/db/preferred_item.rs.
WITH params AS (
    SELECT * FROM unnest($1::int4[], $2::bytea[], $3::int4[], $4::bool[], $5::int4[])
        AS p(position, brick, needed, include_discontinued, take)
)
SELECT p.position, i.identifier,
       c.status_rank, c.price, t.total,
       i.brick_designs, i.brick_color_counts, i.brick_colors
FROM params p
CROSS JOIN LATERAL (
    SELECT count(*) AS total
    FROM item_bricks ib
    WHERE ib.brick = p.brick
      AND ib.status_rank <= CASE WHEN p.include_discontinued THEN 3 ELSE 2 END
      AND ib.multiplicity >= p.needed
) t
CROSS JOIN LATERAL unnest(ARRAY[0, 1, 2, 3]::int2[]) AS s(rank)
CROSS JOIN LATERAL (
    SELECT ib.identifier, ib.status_rank, ib.price
    FROM item_bricks ib
    WHERE ib.brick = p.brick
      AND ib.status_rank = s.rank
      AND ib.multiplicity >= p.needed
      AND (s.rank < 3 OR p.include_discontinued)
    ORDER BY ib.price, ib.identifier
    LIMIT p.take
) c
JOIN items i ON i.identifier = c.identifier
