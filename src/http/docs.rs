//! The problem responses of the OpenAPI document, in sets that handlers
//! name in one line of their `responses(...)`: `BodyProblems` for routes
//! that read a JSON body, `ListProblems` for list routes, `LookupProblems`
//! for routes addressed by identifier, and `Unavailable` for the rest that
//! reach the database. Every one refers to the `Problem` schema with the
//! problem media type.

use std::collections::BTreeMap;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};

use super::error::PROBLEM_JSON;

fn problem(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
        .into()
}

macro_rules! problem_set {
    ($($(#[$doc:meta])* $name:ident { $($status:literal => $description:literal),+ $(,)? })+) => {$(
        $(#[$doc])*
        pub struct $name;

        impl utoipa::IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                [$(($status, $description)),+]
                    .into_iter()
                    .map(|(status, description)| (status.to_owned(), problem(description)))
                    .collect()
            }
        }
    )+};
}

problem_set! {
    /// A route that reads a JSON body and writes or looks up with it.
    BodyProblems {
        "400" => "Malformed JSON or a value of the wrong type",
        "413" => "Body too large",
        "415" => "Not application/json",
        "422" => "Rule violations, by field (by record index for bulk loads)",
        "503" => "Database unavailable, or (batch and bulk routes) too many large bodies in flight; retry after Retry-After",
    }
    /// A list route with paging and filters in the query string.
    ListProblems {
        "400" => "Malformed query string",
        "422" => "Out-of-range parameter",
        "503" => "Database unavailable; retry after Retry-After",
    }
    /// A route addressed by an identifier in the path.
    LookupProblems {
        "404" => "Nothing with this identifier",
        "422" => "Invalid identifier",
        "503" => "Database unavailable; retry after Retry-After",
    }
    /// A deprecated path past its sunset date, when the service retires it.
    Gone {
        "410" => "Retired: past the Sunset date (APP__SERVER__LEGACY_GONE_AFTER_SUNSET); use the Link header's successor",
    }
    /// A conditional PUT or DELETE (`If-Match`, `If-None-Match: *`).
    ConditionalWrite {
        "412" => "A precondition does not hold: the record changed since its ETag was read (If-Match), or it exists (If-None-Match: *)",
        "428" => "This deployment requires If-Match or If-None-Match on PUT and DELETE (APP__HTTP__REQUIRE_IF_MATCH)",
    }
    /// A POST that takes an `Idempotency-Key`.
    Idempotent {
        "409" => "A request with this Idempotency-Key is still being processed (or, POST /items, the identifier exists)",
    }
    /// A preferred-item question without a candidate.
    NoCandidate {
        "404" => "No candidate: `No preferred item found for the provided bricks`",
    }
    /// A route whose only failure is an unavailable database.
    Unavailable {
        "503" => "Database unreachable or the service is shutting down",
    }
}

/// A read with a validator: 304 when `If-None-Match` holds its `ETag`.
pub struct Tagged;

impl utoipa::IntoResponses for Tagged {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let response = ResponseBuilder::new()
            .description("Not modified: `If-None-Match` holds the current ETag; no body")
            .build();
        [("304".to_owned(), response.into())].into()
    }
}

/// The `Idempotency-Key` request header of the creating POSTs.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyKey {
    /// Any unique value of 1 to 255 visible ASCII characters (a UUID):
    /// a retry with the same key and the same body gets the first answer
    /// again (with `Idempotency-Replayed: true`); with another body, 422.
    /// Kept for 24 hours, per caller.
    #[param(rename = "Idempotency-Key")]
    #[allow(dead_code)]
    idempotency_key: Option<String>,
}
