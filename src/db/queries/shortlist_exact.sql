-- Candidates of `exact` queries: one probe of items_signature_idx per query,
-- then the first `take` of each status per query, with the total count.
-- See src/db/preference.rs.
WITH params AS (
    SELECT * FROM unnest($1::int4[], $2::bytea[], $3::bool[], $4::int4[])
        AS p(position, signature, include_discontinued, take)
), ranked AS (
    SELECT p.position, p.take, md.identifier, md.status, md.price,
           row_number() OVER (PARTITION BY p.position, md.status_rank
                              ORDER BY md.price, md.identifier) AS place,
           count(*) OVER (PARTITION BY p.position) AS total
    FROM params p
    JOIN items i ON i.signature = p.signature
    JOIN master_data md ON md.identifier = i.identifier
    WHERE p.include_discontinued OR md.status_rank < 3
)
SELECT r.position AS "position!", r.identifier AS "identifier!",
       r.status AS "status!", r.price AS "price!", r.total AS "total!",
       i.brick_designs, i.brick_color_counts, i.brick_colors
FROM ranked r JOIN items i ON i.identifier = r.identifier
WHERE r.place <= r.take
