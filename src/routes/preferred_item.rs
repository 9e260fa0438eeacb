//! `/preferreditem`: which item is preferred for a list of bricks.

use actix_web::http::StatusCode;
use actix_web::{post, web, HttpRequest, HttpResponse, ResponseError};
use tracing::Instrument;
use utoipa_actix_web::service_config::ServiceConfig;

use super::preferred_item_docs::{Answered, OneAnswer};
use super::state::AppState;
use crate::domain::{
    codes_in, Decision, PreferredItemQuery, Shortlist, Strategy, StrategyKind,
    INLINE_SHORTLISTED_CODES,
};
use crate::http::conditional::{read_answer, ETag};
use crate::http::docs::BodyProblems;
use crate::http::{in_this_request, ApiError, ApiResult, JsonBody, RequestBody};
use crate::source::{is_heavy, Question};
use crate::wire::{
    BatchEntry, BatchJson, BatchRequest, BatchResponse, DecisionJson, PreferredItemRequest, Problem,
};

const NOT_FOUND: &str = "No preferred item found for the provided bricks";

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(preferred_by_rank)
        .service(preferred_by_score)
        .service(preferred_batch);
}

impl RequestBody for PreferredItemRequest {}

impl RequestBody for BatchRequest {
    const LARGE: bool = true;
}

/// Where an answer came from: the catalog version, and how stale it may be
/// when the database is away. Nothing for the database source.
#[derive(Default)]
struct Provenance {
    version: Option<u64>,
    stale_seconds: Option<u64>,
}

impl Provenance {
    /// A 200 answer of `bytes` (JSON) with a weak `ETag` over them: 304
    /// when the request's `If-None-Match` holds it.
    fn respond(&self, request: &HttpRequest, bytes: Vec<u8>) -> HttpResponse {
        let tag = answer_tag(&bytes);
        self.respond_tagged(request, bytes, &tag)
    }

    /// `respond`, with the tag already taken (off the worker, for a large
    /// answer: hashing 50 MB takes a while).
    fn respond_tagged(&self, request: &HttpRequest, bytes: Vec<u8>, tag: &ETag) -> HttpResponse {
        self.mark(read_answer(request, StatusCode::OK, bytes, tag))
    }

    /// Adds the headers to an answer, a 404 "no candidate" included: it
    /// was answered from the same version.
    fn mark(&self, mut response: HttpResponse) -> HttpResponse {
        let headers = response.headers_mut();
        let values = [
            ("x-catalog-version", self.version),
            ("x-catalog-stale-seconds", self.stale_seconds),
        ];
        for (name, value) in values {
            if let Some(value) = value {
                headers.insert(
                    actix_web::http::header::HeaderName::from_static(name),
                    actix_web::http::header::HeaderValue::from(value),
                );
            }
        }
        response
    }
}

/// Decisions for parsed queries, in order, and where they came from.
struct Decided {
    decisions: Vec<Option<Decision>>,
    provenance: Provenance,
    /// Whether the work is large enough to be kept off the HTTP worker:
    /// a heavy question, or candidates carrying more than
    /// `INLINE_SHORTLISTED_CODES` colour codes.
    heavy: bool,
}

/// Answers parsed queries: the `evaluate` span of a trace. Without a trace
/// exporter there is no such span: it would only be built to be dropped.
async fn decide_all(
    state: &AppState,
    strategy: Strategy,
    queries: &[&PreferredItemQuery],
) -> ApiResult<Decided> {
    let span = if crate::telemetry::tracing_on() {
        tracing::info_span!(
            "evaluate",
            queries = queries.len(),
            strategy = strategy.kind().as_str()
        )
    } else {
        tracing::Span::none()
    };
    evaluate(state, strategy, queries).instrument(span).await
}

async fn evaluate(
    state: &AppState,
    strategy: Strategy,
    queries: &[&PreferredItemQuery],
) -> ApiResult<Decided> {
    let question = Question { queries, strategy };
    let sourced = state.source.shortlists(question).await?;
    let provenance = Provenance {
        version: sourced.version,
        stale_seconds: sourced.stale.map(|lag| lag.as_secs_f64().ceil() as u64),
    };
    let heavy = is_heavy(queries.iter().map(|q| q.bricks.len()))
        || sourced.shortlists.iter().map(codes_in).sum::<usize>() > INLINE_SHORTLISTED_CODES;
    let work: Vec<(u32, Shortlist)> = queries
        .iter()
        .map(|q| q.alternatives)
        .zip(sourced.shortlists)
        .collect();
    let decide = move || {
        work.into_iter()
            .map(|(alternatives, shortlist)| {
                strategy.decide(shortlist.candidates, alternatives, shortlist.total)
            })
            .collect::<Vec<_>>()
    };
    let decisions = if heavy {
        // Large batches are decided off the worker thread, so that it keeps
        // answering other requests, /health/live included.
        off_the_worker(decide).await?
    } else {
        decide()
    };
    for decision in &decisions {
        state
            .metrics
            .observe_outcome(strategy.kind(), decision.is_some());
    }
    Ok(Decided {
        decisions,
        provenance,
        heavy,
    })
}

/// Runs `work` on the blocking pool, as part of the current request.
async fn off_the_worker<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(in_this_request(work))
        .await
        .map_err(|e| ApiError::Unexpected(e.into()))
}

async fn answer_one(
    state: &AppState,
    http: &HttpRequest,
    kind: StrategyKind,
    request: &PreferredItemRequest,
) -> ApiResult<HttpResponse> {
    let query = request.parse()?;
    let strategy = kind.with_weights(state.weights);
    let Decided {
        mut decisions,
        provenance,
        ..
    } = decide_all(state, strategy, &[&query]).await?;
    match decisions.pop().flatten() {
        Some(decision) => {
            // Room for a typical answer (a few hundred bytes) up front.
            let mut bytes = Vec::with_capacity(1024);
            serde_json::to_writer(&mut bytes, &DecisionJson(&decision))
                .map_err(|e| ApiError::Unexpected(e.into()))?;
            Ok(provenance.respond(http, bytes))
        }
        None => Ok(provenance.mark(ApiError::NotFound(NOT_FOUND.into()).error_response())),
    }
}

/// The preferred item by rank.
///
/// Candidates are the matching items with master data (`Discontinued` ones
/// only with `include_discontinued`). The best status wins (Normal >
/// Novelty > Outgoing > Discontinued), then the lower price, then the
/// lower identifier.
#[utoipa::path(tag = "preferreditem", request_body = PreferredItemRequest, responses(OneAnswer))]
#[post("")]
async fn preferred_by_rank(
    state: web::Data<AppState>,
    http: HttpRequest,
    body: JsonBody<PreferredItemRequest>,
) -> ApiResult<HttpResponse> {
    answer_one(&state, &http, StrategyKind::Rank, &body.0).await
}

/// The preferred item by score.
///
/// `score = weight(status) / price`, with configurable weights (default
/// Normal 3, Novelty 2, Outgoing 1, Discontinued 0). The highest score
/// wins; ties are broken by rank. Computed on exact decimals.
#[utoipa::path(tag = "preferreditem", request_body = PreferredItemRequest, responses(OneAnswer))]
#[post("/score")]
async fn preferred_by_score(
    state: web::Data<AppState>,
    http: HttpRequest,
    body: JsonBody<PreferredItemRequest>,
) -> ApiResult<HttpResponse> {
    answer_one(&state, &http, StrategyKind::Score, &body.0).await
}

/// Many queries at once, answered in order.
///
/// Each result is a success body or `{"error": problem}` (404 for no
/// candidate, 422 for an invalid query). The whole batch costs at most
/// three database round trips.
#[utoipa::path(
    tag = "preferreditem",
    request_body = BatchRequest,
    responses(
        Answered<BatchResponse>,
        BodyProblems,
    )
)]
#[post("/batch")]
async fn preferred_batch(
    state: web::Data<AppState>,
    http: HttpRequest,
    body: JsonBody<BatchRequest>,
) -> ApiResult<HttpResponse> {
    // The request goes as soon as it is parsed; its share of the
    // large-body budget stays until the answer is built, as what was parsed
    // from it is what the budget bounds. Parsing a heavy batch is worked
    // off the HTTP worker, which keeps answering /health/live.
    let (request, _permit) = body.into_parts();
    let kind = request.strategy;
    let parsed = if is_heavy(request.queries.iter().map(|q| q.bricks.len())) {
        off_the_worker(move || request.parse()).await??
    } else {
        request.parse()?
    };
    let valid: Vec<&PreferredItemQuery> = parsed.iter().filter_map(|p| p.as_ref().ok()).collect();
    let Decided {
        decisions,
        provenance,
        heavy,
    } = decide_all(&state, kind.with_weights(state.weights), &valid).await?;
    let answer = move || {
        // Each invalid query's problem, in place; every query without a
        // candidate shares one.
        let invalid: Vec<Option<Problem>> = parsed
            .into_iter()
            .map(|p| p.err().map(|errors| ApiError::Validation(errors).problem()))
            .collect();
        let not_found = ApiError::NotFound(NOT_FOUND.into()).problem();
        let mut decisions = decisions.iter();
        let results: Vec<BatchEntry> = invalid
            .iter()
            .map(|invalid| match invalid {
                Some(problem) => BatchEntry::Failed(problem),
                None => match decisions.next().and_then(Option::as_ref) {
                    Some(decision) => BatchEntry::Found(decision),
                    None => BatchEntry::Failed(&not_found),
                },
            })
            .collect();
        serde_json::to_vec(&BatchJson {
            strategy: kind,
            results: &results,
        })
        .map(|bytes| {
            let tag = answer_tag(&bytes);
            (bytes, tag)
        })
    };
    // A large answer is built, written out and tagged off the worker too.
    let (body, tag) = if heavy {
        off_the_worker(answer).await?
    } else {
        answer()
    }
    .map_err(|e| ApiError::Unexpected(e.into()))?;
    Ok(provenance.respond_tagged(&http, body, &tag))
}

/// The weak tag of a preferred-item answer: over the answer itself.
fn answer_tag(bytes: &[u8]) -> ETag {
    ETag::weak(&[b"preferreditem", bytes])
}
