-- Candidates of `contains` queries that want several distinct bricks: the
-- posting lists of item_bricks per wanted brick (with enough multiplicity),
-- intersected per query, then the first `take` of each status per query,
-- with the total count. Reads every item holding the first brick.
-- See src/db/preferred_item.rs.
WITH params AS (
    SELECT * FROM unnest($1::int4[], $2::bool[], $3::int4[], $4::int4[])
        AS p(position, include_discontinued, take, distinct_bricks)
), wanted AS (
    SELECT * FROM unnest($5::int4[], $6::bytea[], $7::int4[])
        AS w(position, brick, needed)
), matched AS (
    SELECT w.position, ib.identifier, min(ib.status_rank) AS status_rank, min(ib.price) AS price
    FROM wanted w
    JOIN item_bricks ib ON ib.brick = w.brick AND ib.multiplicity >= w.needed
    WHERE ib.status_rank IS NOT NULL
    GROUP BY w.position, ib.identifier
    HAVING count(*) = (SELECT p.distinct_bricks FROM params p WHERE p.position = w.position)
), ranked AS (
    SELECT p.position, p.take, m.identifier, m.status_rank, m.price,
           row_number() OVER (PARTITION BY p.position, m.status_rank
                              ORDER BY m.price, m.identifier) AS place,
           count(*) OVER (PARTITION BY p.position) AS total
    FROM matched m
    JOIN params p ON p.position = m.position
    WHERE p.include_discontinued OR m.status_rank < 3
)
SELECT r.position, r.identifier,
       r.status_rank, r.price, r.total,
       i.brick_designs, i.brick_color_counts, i.brick_colors
FROM ranked r JOIN items i ON i.identifier = r.identifier
WHERE r.place <= r.take
