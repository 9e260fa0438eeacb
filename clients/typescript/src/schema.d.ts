// Generated from the service's OpenAPI document by openapi-typescript
// (`npm run generate`). Do not edit: change the service, then regenerate.

export interface paths {
    "/health/live": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness: the process serves HTTP. Never touches the database. */
        get: operations["live"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/health/ready": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Readiness: the service is not draining, and it can answer reads.
         * @description With the catalog in memory (the default): 503 until the first snapshot
         *     has loaded, then 200 even while the database is away, when
         *     preferred-item answers still come from memory (with
         *     `X-Catalog-Stale-Seconds`) and writes get 503; `status` is then
         *     `"degraded"`. With the database source: 200 while the database answers.
         */
        get: operations["ready"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/items": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List items in identifier order.
         * @description Keyset pagination: when more items follow, the `Link` header holds the
         *     URL of the next page (`rel="next"`).
         */
        get: operations["list_items"];
        put?: never;
        /** Create an item. */
        post: operations["create_item"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/items/bulk": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Create or replace up to 10,000 items, all or nothing.
         * @description The body is a JSON array of items, or NDJSON (one item per line) with
         *     `Content-Type: application/x-ndjson`. When any record is invalid,
         *     nothing is written and the 422 lists each bad record's `index`.
         */
        post: operations["bulk_items"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/items/export": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every item, in identifier order, as NDJSON (default) or CSV: the
         *     formats `import` and `POST /items/bulk` read, from one consistent
         *     snapshot named by `X-Catalog-Version`. */
        get: operations["export_items"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/items/item/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get one item (the legacy path of the original API).
         * @deprecated
         * @description Deprecated: use `GET /items/{id}`. Every answer carries `Deprecation`,
         *     `Sunset` and a `Link` to the successor; 410 from the sunset date on
         *     when the service is set to retire the path.
         */
        get: operations["get_item_legacy"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/items/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get one item.
         * @description Answers carry a strong `ETag`; with `If-None-Match` holding it, the
         *     answer is 304 with no body.
         */
        get: operations["get_item"];
        /**
         * Create an item, or replace its bricks.
         * @description Conditional: with `If-Match: <ETag>` the item is replaced only if it
         *     is still as read (412 otherwise); with `If-None-Match: *` it is only
         *     created (412 if it exists). Where the service requires it
         *     (`APP__HTTP__REQUIRE_IF_MATCH`), a PUT with neither gets 428.
         */
        put: operations["put_item"];
        post?: never;
        /**
         * Delete an item and its master data.
         * @description Conditional: with `If-Match: <ETag>` only if the item is still as read
         *     (412 otherwise).
         */
        delete: operations["delete_item"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/masterdata": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List master data in identifier order. */
        get: operations["list_master_data"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/masterdata/bulk": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Create or replace the master data of up to 10,000 existing items, all or
         *     nothing.
         * @description Records are `{"identifier", "status", "price"}`, as a JSON array or
         *     NDJSON. A record for an item that does not exist is invalid.
         */
        post: operations["bulk_master_data"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/masterdata/export": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every master-data record, in identifier order, as NDJSON (default) or
         *     CSV: the formats `import` and `POST /masterdata/bulk` read, from one
         *     consistent snapshot named by `X-Catalog-Version`. */
        get: operations["export_master_data"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/masterdata/item/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get the master data of one item (the legacy path of the original API).
         * @deprecated
         * @description Deprecated: use `GET /masterdata/{id}`. Every answer carries
         *     `Deprecation`, `Sunset` and a `Link` to the successor; 410 from the
         *     sunset date on when the service is set to retire the path.
         */
        get: operations["get_master_data_legacy"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/masterdata/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get the master data of one item.
         * @description Answers carry a strong `ETag`; with `If-None-Match` holding it, the
         *     answer is 304 with no body.
         */
        get: operations["get_master_data"];
        /**
         * Create or replace the master data of an existing item.
         * @description Conditional: with `If-Match: <ETag>` the record is replaced only if it
         *     is still as read (412 otherwise); with `If-None-Match: *` it is only
         *     created (412 if it exists). Where the service requires it
         *     (`APP__HTTP__REQUIRE_IF_MATCH`), a PUT with neither gets 428.
         */
        put: operations["put_master_data"];
        post?: never;
        /**
         * Delete the master data of one item. The item stays.
         * @description Conditional: with `If-Match: <ETag>` only if the record is still as
         *     read (412 otherwise).
         */
        delete: operations["delete_master_data"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/preferreditem": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * The preferred item by rank.
         * @description Candidates are the matching items with master data (`Discontinued` ones
         *     only with `include_discontinued`). The best status wins (Normal >
         *     Novelty > Outgoing > Discontinued), then the lower price, then the
         *     lower identifier.
         */
        post: operations["preferred_by_rank"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/preferreditem/batch": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Many queries at once, answered in order.
         * @description Each result is a success body or `{"error": problem}` (404 for no
         *     candidate, 422 for an invalid query). The whole batch costs at most
         *     three database round trips.
         */
        post: operations["preferred_batch"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/preferreditem/score": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * The preferred item by score.
         * @description `score = weight(status) / price`, with configurable weights (default
         *     Normal 3, Novelty 2, Outgoing 1, Discontinued 0). The highest score
         *     wins; ties are broken by rank. Computed on exact decimals.
         */
        post: operations["preferred_by_score"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        AlternativeJson: {
            item: components["schemas"]["ItemJson"];
            item_info: components["schemas"]["MasterDataJson"];
        };
        /**
         * @description Many questions, answered in order with one strategy.
         * @example {
         *       "queries": [
         *         {
         *           "bricks": [
         *             {
         *               "color_codes": [
         *                 1,
         *                 2
         *               ],
         *               "design_id": 1
         *             },
         *             {
         *               "color_codes": [
         *                 3,
         *                 4
         *               ],
         *               "design_id": 2
         *             }
         *           ]
         *         },
         *         {
         *           "alternatives": 2,
         *           "bricks": [
         *             {
         *               "color_codes": [
         *                 1,
         *                 2
         *               ],
         *               "design_id": 2
         *             }
         *           ]
         *         }
         *       ],
         *       "strategy": "rank"
         *     }
         */
        BatchRequest: {
            /** @description `rank` (default) or `score`, for every query of the batch. */
            strategy?: components["schemas"]["StrategyKind"];
            /** @description 1 to 1000 queries, answered in order. A query that breaks a rule gets its 422 in its place in the results. */
            queries: components["schemas"]["PreferredItemRequest"][];
        };
        BatchResponse: {
            strategy: components["schemas"]["StrategyKind"];
            results: components["schemas"]["BatchResult"][];
        };
        /** @description One answer of a batch: a success body, or `{"error": problem}`. */
        BatchResult: components["schemas"]["PreferredItemResponse"] | {
            error: components["schemas"]["Problem"];
        };
        /** @example {
         *       "color_codes": [
         *         1,
         *         2
         *       ],
         *       "design_id": 1
         *     } */
        BrickJson: {
            /**
             * Format: int64
             * @description 0..=2147483647.
             */
            design_id: number;
            /** @description 1 to 16 colour codes, each 0..=2147483647. Order matters. */
            color_codes: number[];
        };
        /**
         * @description What a bulk load wrote.
         * @example {
         *       "created": 1,
         *       "received": 2,
         *       "updated": 1
         *     }
         */
        BulkResult: {
            /** Format: int64 */
            received: number;
            /** Format: int64 */
            created: number;
            /** Format: int64 */
            updated: number;
        };
        /** @example {
         *       "status": "ok"
         *     } */
        Health: {
            status: string;
        };
        /**
         * @description The body of `PUT /items/{id}`: the bricks, and optionally the
         *     identifier again.
         * @example {
         *       "bricks": [
         *         {
         *           "color_codes": [
         *             1,
         *             2
         *           ],
         *           "design_id": 1
         *         }
         *       ]
         *     }
         */
        ItemBricksJson: {
            /** @description Optional; when present it must equal the identifier in the path. */
            identifier?: string | null;
            /** @description 1 to 1000 bricks, kept in the order given; matched as a multiset. */
            bricks: components["schemas"]["BrickJson"][];
        };
        /**
         * @description An item as clients send and receive it, and as the load formats carry
         *     it.
         * @example {
         *       "bricks": [
         *         {
         *           "color_codes": [
         *             1,
         *             2
         *           ],
         *           "design_id": 1
         *         },
         *         {
         *           "color_codes": [
         *             3,
         *             4
         *           ],
         *           "design_id": 2
         *         }
         *       ],
         *       "identifier": "item1"
         *     }
         */
        ItemJson: {
            /** @description 1 to 64 characters of `[A-Za-z0-9._:-]`. */
            identifier: string;
            /** @description 1 to 1000 bricks, kept in the order given; matched as a multiset. */
            bricks: components["schemas"]["BrickJson"][];
        };
        /**
         * @description The body of `PUT /masterdata/{id}`: status and price, and optionally
         *     the identifier again.
         * @example {
         *       "price": 10,
         *       "status": "Normal"
         *     }
         */
        MasterDataBody: {
            /** @description Optional; when present it must equal the identifier in the path. */
            identifier?: string | null;
            status: components["schemas"]["Status"];
            /**
             * Format: double
             * @description Exact decimal, greater than 0, at most 1000000000, at most 4 decimals.
             */
            price: number;
        };
        /**
         * @description A master data record as clients receive it, and as the bulk route and
         *     the load formats carry it.
         * @example {
         *       "identifier": "item1",
         *       "price": 10,
         *       "status": "Normal"
         *     }
         */
        MasterDataJson: {
            identifier: string;
            status: components["schemas"]["Status"];
            /**
             * Format: double
             * @description Exact decimal, greater than 0, at most 1000000000, at most 4 decimals.
             */
            price: number;
        };
        /** @enum {string} */
        MatchMode: "exact" | "contains";
        /**
         * @description Which item is preferred for these bricks?
         * @example {
         *       "bricks": [
         *         {
         *           "color_codes": [
         *             1,
         *             2
         *           ],
         *           "design_id": 1
         *         },
         *         {
         *           "color_codes": [
         *             3,
         *             4
         *           ],
         *           "design_id": 2
         *         }
         *       ]
         *     }
         */
        PreferredItemRequest: {
            /** @description 1 to 1000 bricks, compared as a multiset. */
            bricks: components["schemas"]["BrickJson"][];
            /** @description `exact` (default): the item has exactly these bricks. `contains`:
             *     the item has at least these bricks, counting repeats. */
            match?: components["schemas"]["MatchMode"];
            /** @description Let `Discontinued` items be candidates (default false). */
            include_discontinued?: boolean;
            /**
             * Format: int64
             * @description Also return the next N candidates, 0..=20 (default 0).
             */
            alternatives?: number;
        };
        /**
         * @description The preferred item, its master data, how many candidates there were,
         *     and the requested alternatives in the strategy's order.
         * @example {
         *       "alternatives": [],
         *       "candidates": 1,
         *       "item_info": {
         *         "identifier": "item1",
         *         "price": 10,
         *         "status": "Normal"
         *       },
         *       "preferred_item": {
         *         "bricks": [
         *           {
         *             "color_codes": [
         *               1,
         *               2
         *             ],
         *             "design_id": 1
         *           },
         *           {
         *             "color_codes": [
         *               3,
         *               4
         *             ],
         *             "design_id": 2
         *           }
         *         ],
         *         "identifier": "item1"
         *       }
         *     }
         */
        PreferredItemResponse: {
            preferred_item: components["schemas"]["ItemJson"];
            item_info: components["schemas"]["MasterDataJson"];
            /** Format: int64 */
            candidates: number;
            alternatives: components["schemas"]["AlternativeJson"][];
        };
        /**
         * @description An RFC 9457 problem document.
         * @example {
         *       "detail": "The request breaks 1 rule",
         *       "errors": [
         *         {
         *           "field": "bricks[0].design_id",
         *           "message": "must be between 0 and 2147483647"
         *         }
         *       ],
         *       "request_id": "3f1c2a4e-8d0b-4c2e-9d5e-2b7f0a1c9e11",
         *       "status": 422,
         *       "title": "Unprocessable Content",
         *       "total_errors": 1,
         *       "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
         *       "type": "urn:problem:validation"
         *     }
         */
        Problem: {
            /** @description A stable identifier of the kind of problem. */
            type: string;
            title: string;
            /** Format: int32 */
            status: number;
            detail: string;
            request_id?: string | null;
            /** @description The OpenTelemetry trace id of the request, when traces are on
             *     (README "Tracing"): the trace to look up in X-Ray or another backend. */
            trace_id?: string | null;
            /** @description The fields at fault (at most 100); empty when the problem is not
             *     about a field. */
            errors: components["schemas"]["ProblemField"][];
            /**
             * Format: int64
             * @description For rule violations: how many rules were broken, listed or not.
             */
            total_errors?: number | null;
        };
        ProblemField: {
            /** @description Path of the field in the request, e.g. `bricks[0].color_codes[1]`.
             *     For bulk loads, the path within the record at `index`. */
            field: string;
            message: string;
            /**
             * Format: int64
             * @description For bulk loads: the 0-based index of the record at fault.
             */
            index?: number | null;
        };
        /**
         * @description Lifecycle status, spelled exactly. The declaration order is the rank
         *     order: `Normal` is preferred over `Novelty`, and so on.
         * @enum {string}
         */
        Status: "Normal" | "Novelty" | "Outgoing" | "Discontinued";
        /**
         * @description The name of a strategy, as requests spell it.
         * @enum {string}
         */
        StrategyKind: "rank" | "score";
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    live: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Alive */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
        };
    };
    ready: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Ready for traffic */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
            /** @description Database unreachable or the service is shutting down */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_items: {
        parameters: {
            query?: {
                limit?: number;
                /** @description Return items after this identifier (from the `Link` header). */
                after?: string;
                design_id?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of items */
            200: {
                headers: {
                    /** @description Weak: over the page and its next link */
                    ETag?: string;
                    /** @description `<…>; rel="next"` when more items follow */
                    Link?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ItemJson"][];
                };
            };
            /** @description Not modified: `If-None-Match` holds the current ETag; no body */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Malformed query string */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Out-of-range parameter */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Database unavailable; retry after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    create_item: {
        parameters: {
            query?: never;
            header?: {
                /** @description Any unique value of 1 to 255 visible ASCII characters (a UUID):
                 *     a retry with the same key and the same body gets the first answer
                 *     again (with `Idempotency-Replayed: true`); with another body, 422.
                 *     Kept for 24 hours, per caller. */
                "Idempotency-Key"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ItemJson"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    /** @description The new item's ETag */
                    ETag?: string;
                    /** @description URL of the new item */
                    Location?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ItemJson"];
                };
            };
            /** @description Malformed JSON or a value of the wrong type */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A request with this Idempotency-Key is still being processed (or, POST /items, the identifier exists) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not application/json */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rule violations, by field (by record index for bulk loads) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Database unavailable, or (batch and bulk routes) too many large bodies in flight; retry after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    bulk_items: {
        parameters: {
            query?: never;
            header?: {
                /** @description Any unique value of 1 to 255 visible ASCII characters (a UUID):
                 *     a retry with the same key and the same body gets the first answer
                 *     again (with `Idempotency-Replayed: true`); with another body, 422.
                 *     Kept for 24 hours, per caller. */
                "Idempotency-Key"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ItemJson"][];
                /** @example {"identifier":"a","bricks":[{"design_id":1,"color_codes":[1]}]}
                 *      */
                "application/x-ndjson": string;
            };
        };
        responses: {
            /** @description All records written */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BulkResult"];
                };
            };
            /** @description Malformed JSON or a value of the wrong type */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A request with this Idempotency-Key is still being processed (or, POST /items, the identifier exists) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not application/json */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rule violations, by field (by record index for bulk loads) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Database unavailable, or (batch and bulk routes) too many large bodies in flight; retry after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    export_items: {
        parameters: {
            query?: {
                /** @description `ndjson` (the default) or `csv`. */
                format?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Every item, streamed */
            200: {
                headers: {
                    /** @description The snapshot: every transaction below this id is in it */
                    "X-Catalog-Version"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/x-ndjson": string;
                    "text/csv": string;
                };
            };
            /** @description Malformed query string */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Out-of-range parameter */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Database unavailable; retry after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_item_legacy: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description Item identifier
                 * @example item1
                 */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The item */
            200: {
                headers: {
                    /** @description RFC 9745: when this path was deprecated, `@` and epoch seconds */
                    Deprecation?: string;
                    /** @description The successor: `</items/{id}>; rel="successor-version"` */
                    Link?: string;
                    /** @description RFC 8594: the date after which it may be retired */
                    Sunset?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ItemJson"];
                };
            };
            /** @description Not modified: `If-None-Match` holds the current ETag; no body */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Nothing with this identifier */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Retired: past the Sunset date (APP__SERVER__LEGACY_GONE_AFTER_SUNSET); use the Link header's successor */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid identifier */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Database unavailable; retry after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_item: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description Item identifier
                 * @example item1
                 */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The item */
            200: {
                headers: {
                    /** @description `private, no-cache`: revalidate before reuse */
                    "Cache-Control"?: string;
                    /** @description Strong: the SHA-256 of this JSON, cut to 128 bits */
                    ETag?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ItemJson"];
                };
            };
            /** @description Not modified: `If-None-Match` holds the current ETag; no body */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Nothing with this identifier */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid identifier */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Database unavailable; retry after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    put_item: {
        parameters: {
            query?: never;
            header?: {
                /** @description Replace only if the item's ETag is one of these */
                "If-Match"?: string | null;
                /** @description `*`: create only */
                "If-None-Match"?: string | null;
            };
            path: {
                /**
                 * @description Item identifier
                 * @example item1
                 */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ItemBricksJson"];
            };
        };
        responses: {
            /** @description Replaced */
            200: {
                headers: {
                    /** @description The new ETag */
                    ETag?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ItemJson"];
                };
            };
            /** @description Created */
            201: {
                headers: {
                    /** @description The new ETag */
                    ETag?: string;
                    /** @description URL of the new item */
                    Location?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ItemJson"];
                };
            };
            /** @description Malformed JSON or a value of the wrong type */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A precondition does not hold: the record changed since its ETag was read (If-Match), or it exists (If-None-Match: *) */
            412: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not application/json */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rule violations, by field (by record index for bulk loads) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description This deployment requires If-Match or If-None-Match on PUT and DELETE (APP__HTTP__REQUIRE_IF_MATCH) */
            428: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Database unavailable, or (batch and bulk routes) too many large bodies in flight; retry after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    delete_item: {
        parameters: {
            query?: never;
            header?: {
                /** @description Delete only if the item's ETag is one of these */
                "If-Match"?: string | null;
            };
            path: {
                /**
                 * @description Item identifier
                 * @example item1
                 */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted, with its master data */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Nothing with this identifier */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A precondition does not hold: the record changed since its ETag was read (If-Match), or it exists (If-None-Match: *) */
            412: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid identifier */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description This deployment requires If-Match or If-None-Match on PUT and DELETE (APP__HTTP__REQUIRE_IF_MATCH) */
            428: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Database unavailable; retry after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    list_master_data: {
        parameters: {
            query?: {
                limit?: number;
                /** @description Return records after this identifier (from the `Link` header). */
                after?: string;
                /** @description Only records with this status. Read as text, so that an unknown
                 *     status is a 422 on `status` like any other broken rule. */
                status?: components["schemas"]["Status"];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of records */
            200: {
                headers: {
                    /** @description Weak: over the page and its next link */
                    ETag?: string;
                    /** @description `<…>; rel="next"` when more records follow */
                    Link?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MasterDataJson"][];
                };
            };
            /** @description Not modified: `If-None-Match` holds the current ETag; no body */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Malformed query string */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Out-of-range parameter */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Database unavailable; retry after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    bulk_master_data: {
        parameters: {
            query?: never;
            header?: {
                /** @description Any unique value of 1 to 255 visible ASCII characters (a UUID):
                 *     a retry with the same key and the same body gets the first answer
                 *     again (with `Idempotency-Replayed: true`); with another body, 422.
                 *     Kept for 24 hours, per caller. */
                "Idempotency-Key"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["MasterDataJson"][];
                /** @example {"identifier":"item1","status":"Normal","price":10.0}
                 *      */
                "application/x-ndjson": string;
            };
        };
        responses: {
            /** @description All records written */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BulkResult"];
                };
            };
            /** @description Malformed JSON or a value of the wrong type */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A request with this Idempotency-Key is still being processed (or, POST /items, the identifier exists) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not application/json */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rule violations, by field (by record index for bulk loads) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Database unavailable, or (batch and bulk routes) too many large bodies in flight; retry after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    export_master_data: {
        parameters: {
            query?: {
                /** @description `ndjson` (the default) or `csv`. */
                format?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Every record, streamed */
            200: {
                headers: {
                    /** @description The snapshot: every transaction below this id is in it */
                    "X-Catalog-Version"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/x-ndjson": string;
                    "text/csv": string;
                };
            };
            /** @description Malformed query string */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Out-of-range parameter */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Database unavailable; retry after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_master_data_legacy: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description Item identifier
                 * @example item1
                 */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The record */
            200: {
                headers: {
                    /** @description RFC 9745: when this path was deprecated, `@` and epoch seconds */
                    Deprecation?: string;
                    /** @description The successor: `</masterdata/{id}>; rel="successor-version"` */
                    Link?: string;
                    /** @description RFC 8594: the date after which it may be retired */
                    Sunset?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MasterDataJson"];
                };
            };
            /** @description Not modified: `If-None-Match` holds the current ETag; no body */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Nothing with this identifier */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Retired: past the Sunset date (APP__SERVER__LEGACY_GONE_AFTER_SUNSET); use the Link header's successor */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid identifier */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Database unavailable; retry after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_master_data: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /**
                 * @description Item identifier
                 * @example item1
                 */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The record */
            200: {
                headers: {
                    /** @description `private, no-cache`: revalidate before reuse */
                    "Cache-Control"?: string;
                    /** @description Strong: the SHA-256 of this JSON, cut to 128 bits */
                    ETag?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MasterDataJson"];
                };
            };
            /** @description Not modified: `If-None-Match` holds the current ETag; no body */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Nothing with this identifier */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid identifier */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Database unavailable; retry after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    put_master_data: {
        parameters: {
            query?: never;
            header?: {
                /** @description Replace only if the record's ETag is one of these */
                "If-Match"?: string | null;
                /** @description `*`: create only */
                "If-None-Match"?: string | null;
            };
            path: {
                /**
                 * @description Item identifier
                 * @example item1
                 */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["MasterDataBody"];
            };
        };
        responses: {
            /** @description Replaced */
            200: {
                headers: {
                    /** @description The new ETag */
                    ETag?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MasterDataJson"];
                };
            };
            /** @description Created */
            201: {
                headers: {
                    /** @description The new ETag */
                    ETag?: string;
                    /** @description URL of the record */
                    Location?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MasterDataJson"];
                };
            };
            /** @description Malformed JSON or a value of the wrong type */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A precondition does not hold: the record changed since its ETag was read (If-Match), or it exists (If-None-Match: *) */
            412: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not application/json */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rule violations, by field (by record index for bulk loads) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description This deployment requires If-Match or If-None-Match on PUT and DELETE (APP__HTTP__REQUIRE_IF_MATCH) */
            428: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Database unavailable, or (batch and bulk routes) too many large bodies in flight; retry after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    delete_master_data: {
        parameters: {
            query?: never;
            header?: {
                /** @description Delete only if the record's ETag is one of these */
                "If-Match"?: string | null;
            };
            path: {
                /**
                 * @description Item identifier
                 * @example item1
                 */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Nothing with this identifier */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A precondition does not hold: the record changed since its ETag was read (If-Match), or it exists (If-None-Match: *) */
            412: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid identifier */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description This deployment requires If-Match or If-None-Match on PUT and DELETE (APP__HTTP__REQUIRE_IF_MATCH) */
            428: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Database unavailable; retry after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    preferred_by_rank: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PreferredItemRequest"];
            };
        };
        responses: {
            /** @description The preferred item */
            200: {
                headers: {
                    /** @description Weak, over the answer: with `If-None-Match` holding it, the same question gets 304 while its answer is unchanged */
                    ETag?: string;
                    /** @description Only while the database is away: seconds since the catalog in memory was last known to be current */
                    "X-Catalog-Stale-Seconds"?: number;
                    /** @description With the catalog in memory (the default source): every transaction below this id is reflected in the answer */
                    "X-Catalog-Version"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PreferredItemResponse"];
                };
            };
            /** @description Not modified: `If-None-Match` holds the answer's ETag; no body */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Malformed JSON or a value of the wrong type */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No candidate: `No preferred item found for the provided bricks` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not application/json */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rule violations, by field (by record index for bulk loads) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Database unavailable, or (batch and bulk routes) too many large bodies in flight; retry after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    preferred_batch: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["BatchRequest"];
            };
        };
        responses: {
            /** @description One result per query, in order */
            200: {
                headers: {
                    /** @description Weak, over the answer: with `If-None-Match` holding it, the same question gets 304 while its answer is unchanged */
                    ETag?: string;
                    /** @description Only while the database is away: seconds since the catalog in memory was last known to be current */
                    "X-Catalog-Stale-Seconds"?: number;
                    /** @description With the catalog in memory (the default source): every transaction below this id is reflected in the answer */
                    "X-Catalog-Version"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BatchResponse"];
                };
            };
            /** @description Not modified: `If-None-Match` holds the answer's ETag; no body */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Malformed JSON or a value of the wrong type */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not application/json */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rule violations, by field (by record index for bulk loads) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Database unavailable, or (batch and bulk routes) too many large bodies in flight; retry after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    preferred_by_score: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PreferredItemRequest"];
            };
        };
        responses: {
            /** @description The preferred item */
            200: {
                headers: {
                    /** @description Weak, over the answer: with `If-None-Match` holding it, the same question gets 304 while its answer is unchanged */
                    ETag?: string;
                    /** @description Only while the database is away: seconds since the catalog in memory was last known to be current */
                    "X-Catalog-Stale-Seconds"?: number;
                    /** @description With the catalog in memory (the default source): every transaction below this id is reflected in the answer */
                    "X-Catalog-Version"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PreferredItemResponse"];
                };
            };
            /** @description Not modified: `If-None-Match` holds the answer's ETag; no body */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Malformed JSON or a value of the wrong type */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No candidate: `No preferred item found for the provided bricks` */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not application/json */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Rule violations, by field (by record index for bulk loads) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Database unavailable, or (batch and bulk routes) too many large bodies in flight; retry after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
}
