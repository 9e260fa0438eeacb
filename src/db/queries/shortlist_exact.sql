-- Candidates of `exact` queries. Per query: the candidate count (from
-- signature_counts), then for each admitted status the first `take` items
-- by price and identifier, each an index range scan of items_signature_idx
-- that stops at `take` rows.
-- See src/db/preferred_item.rs.
WITH params AS (
    SELECT * FROM unnest($1::int4[], $2::bytea[], $3::bool[], $4::int4[])
        AS p(position, signature, include_discontinued, take)
)
SELECT p.position, c.identifier,
       c.status_rank, c.price, t.total,
       c.brick_designs, c.brick_color_counts, c.brick_colors
FROM params p
CROSS JOIN LATERAL (
    SELECT coalesce(sum(sc.items), 0)::int8 AS total
    FROM signature_counts sc
    WHERE sc.signature = p.signature
      AND sc.status_rank <= CASE WHEN p.include_discontinued THEN 3 ELSE 2 END
) t
CROSS JOIN LATERAL unnest(ARRAY[0, 1, 2, 3]::int2[]) AS s(rank)
CROSS JOIN LATERAL (
    SELECT i.identifier, i.status_rank, i.price,
           i.brick_designs, i.brick_color_counts, i.brick_colors
    FROM items i
    WHERE i.signature = p.signature
      AND i.status_rank = s.rank
      AND (s.rank < 3 OR p.include_discontinued)
    ORDER BY i.price, i.identifier
    LIMIT p.take
) c
