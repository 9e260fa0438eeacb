//! The preferred-item routes in the OpenAPI document: their 200s, with
//! the headers `Provenance` sets, described by hand.

use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};

use crate::http::docs::{BodyProblems, NoCandidate};
use crate::wire::{BatchResponse, PreferredItemResponse};

/// The 200 of a preferred-item route in the OpenAPI document: `T`, with
/// the headers `Provenance` sets.
pub(super) struct Answered<T>(std::marker::PhantomData<T>);

/// The responses of a single question: the answer, no candidate, or a
/// problem with the body; stated once for both strategies.
pub(super) struct OneAnswer;

impl utoipa::IntoResponses for OneAnswer {
    fn responses() -> std::collections::BTreeMap<String, RefOr<Response>> {
        let mut responses = Answered::<PreferredItemResponse>::responses();
        responses.extend(NoCandidate::responses());
        responses.extend(BodyProblems::responses());
        responses
    }
}

/// What a 200 of this body is, in the document.
trait Answer: utoipa::ToSchema {
    const DESCRIPTION: &'static str;
}

impl Answer for PreferredItemResponse {
    const DESCRIPTION: &'static str = "The preferred item";
}

impl Answer for BatchResponse {
    const DESCRIPTION: &'static str = "One result per query, in order";
}

impl<T: Answer> utoipa::IntoResponses for Answered<T> {
    fn responses() -> std::collections::BTreeMap<String, RefOr<Response>> {
        let header = |description: &str| {
            HeaderBuilder::new()
                .schema(Some(<u64 as utoipa::PartialSchema>::schema()))
                .description(Some(description))
                .build()
        };
        let response = ResponseBuilder::new()
            .description(T::DESCRIPTION)
            .header(
                "X-Catalog-Version",
                header(
                    "With the catalog in memory (the default source): every transaction below \
                     this id is reflected in the answer",
                ),
            )
            .header(
                "X-Catalog-Stale-Seconds",
                header(
                    "Only while the database is away: seconds since the catalog in memory was \
                     last known to be current",
                ),
            )
            .header(
                "ETag",
                HeaderBuilder::new()
                    .schema(Some(<String as utoipa::PartialSchema>::schema()))
                    .description(Some(
                        "Weak, over the answer: with `If-None-Match` holding it, the same \
                         question gets 304 while its answer is unchanged",
                    ))
                    .build(),
            )
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name(T::name())))
                    .build(),
            )
            .build();
        let not_modified = ResponseBuilder::new()
            .description("Not modified: `If-None-Match` holds the answer's ETag; no body")
            .build();
        [
            ("200".to_owned(), response.into()),
            ("304".to_owned(), not_modified.into()),
        ]
        .into()
    }
}
