//! The one error type of the HTTP layer, rendered as RFC 9457
//! `application/problem+json`.
//!
//! Clients see a stable `type`, a human `detail`, the request id and, for
//! rule violations, the fields at fault. The full error chain goes to the
//! log only: no SQL, driver message or panic text ever reaches a client.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};

use super::request_context::current_request_id;
use crate::db;
use crate::db::bulk::LoadError;
use crate::db::preferred_item::LookupError;
use crate::domain::RecordError;
use crate::domain::{AnswerTooLarge, FieldError, FieldErrors, MAX_SHORTLISTED_CODES};
use crate::wire::json::JsonError;
use crate::wire::{Problem, ProblemField};

/// Seconds a client should wait before retrying when the database is away.
const RETRY_AFTER_SECS: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not JSON, or a value has the wrong type.
    #[error("bad request: {detail}")]
    BadRequest {
        detail: String,
        errors: Vec<FieldError>,
    },
    /// Well-formed input that breaks the rules.
    #[error("validation failed: {0}")]
    Validation(FieldErrors),
    /// Records of a bulk load that break the rules; nothing was written.
    #[error("{} invalid record(s)", .0.len())]
    InvalidRecords(Vec<RecordError>),
    /// No usable credential: none, an unknown API key, or a bearer token
    /// that was refused (with the short reason).
    #[error("missing or invalid credentials")]
    Unauthorized { token_refused: Option<&'static str> },
    #[error("the credential lacks the scope")]
    Forbidden,
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("not found: {0}")]
    NotFound(String),
    /// A deprecated path past its sunset date, when settings retire it.
    #[error("gone: {0}")]
    Gone(String),
    #[error("method {0} not allowed")]
    MethodNotAllowed(String),
    #[error("conflict: {0}")]
    Conflict(String),
    /// An `If-Match` or `If-None-Match` of a write does not hold.
    #[error("precondition failed: {0}")]
    PreconditionFailed(String),
    /// A write without `If-Match` where settings require one.
    #[error("precondition required")]
    PreconditionRequired,
    #[error("payload larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("the body did not arrive within {ms} ms")]
    BodyTimeout { ms: u128 },
    #[error("unsupported media type {0:?}")]
    UnsupportedMediaType(String),
    /// The answer would carry more than a request may (see
    /// `domain::budget`).
    #[error(transparent)]
    AnswerTooLarge(#[from] AnswerTooLarge),
    /// Too many large bodies are in flight across the process.
    #[error("too many large bodies in flight")]
    Busy,
    /// The database is unreachable, overloaded or too slow.
    #[error("service unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error("unexpected error")]
    Unexpected(#[from] anyhow::Error),
}

impl ApiError {
    pub fn validation(error: impl Into<FieldErrors>) -> ApiError {
        ApiError::Validation(error.into())
    }

    pub fn bad_request(detail: impl Into<String>) -> ApiError {
        ApiError::BadRequest {
            detail: detail.into(),
            errors: vec![],
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            ApiError::BadRequest { .. } => "urn:problem:bad-request",
            ApiError::Validation(_) | ApiError::InvalidRecords(_) => "urn:problem:validation",
            ApiError::Unauthorized { .. } => "urn:problem:unauthorized",
            ApiError::Forbidden => "urn:problem:forbidden",
            ApiError::TooManyRequests { .. } => "urn:problem:too-many-requests",
            ApiError::NotFound(_) => "urn:problem:not-found",
            ApiError::Gone(_) => "urn:problem:gone",
            ApiError::MethodNotAllowed(_) => "urn:problem:method-not-allowed",
            ApiError::Conflict(_) => "urn:problem:conflict",
            ApiError::PreconditionFailed(_) => "urn:problem:precondition-failed",
            ApiError::PreconditionRequired => "urn:problem:precondition-required",
            ApiError::PayloadTooLarge { .. } => "urn:problem:payload-too-large",
            ApiError::UnsupportedMediaType(_) => "urn:problem:unsupported-media-type",
            ApiError::BodyTimeout { .. } => "urn:problem:request-timeout",
            ApiError::Unavailable(_) => "urn:problem:unavailable",
            ApiError::Busy => "urn:problem:busy",
            ApiError::AnswerTooLarge(_) => "urn:problem:answer-too-large",
            ApiError::Unexpected(_) => "urn:problem:internal",
        }
    }

    /// The client's view of this error.
    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        let (detail, errors): (String, Vec<ProblemField>) = match self {
            ApiError::BadRequest { detail, errors } => (
                detail.clone(),
                errors.iter().cloned().map(Into::into).collect(),
            ),
            ApiError::Validation(errors) => {
                let n = errors.total();
                let listed = errors.iter().count();
                let rules = if n == 1 { "rule" } else { "rules" };
                let detail = if listed < n {
                    format!("The request breaks {n} {rules}; the first {listed} are listed")
                } else {
                    format!("The request breaks {n} {rules}")
                };
                (detail, errors.iter().cloned().map(Into::into).collect())
            }
            ApiError::InvalidRecords(records) => (
                format!("{} record error(s); nothing was written", records.len()),
                records
                    .iter()
                    .map(|r| ProblemField {
                        field: r.field.clone(),
                        message: r.message.clone(),
                        index: Some(r.position),
                    })
                    .collect(),
            ),
            ApiError::Unauthorized {
                token_refused: None,
            } => (
                "Send a valid API key or token as `Authorization: Bearer …`".into(),
                vec![],
            ),
            ApiError::Unauthorized {
                token_refused: Some(reason),
            } => (format!("The bearer token was refused: {reason}"), vec![]),
            ApiError::Forbidden => (
                "The credential does not allow this operation".into(),
                vec![],
            ),
            ApiError::TooManyRequests { retry_after_secs } => (
                format!("Too many requests; retry in {retry_after_secs} s"),
                vec![],
            ),
            ApiError::NotFound(detail)
            | ApiError::Conflict(detail)
            | ApiError::Gone(detail)
            | ApiError::PreconditionFailed(detail) => (detail.clone(), vec![]),
            ApiError::PreconditionRequired => (
                "This deployment requires If-Match (or If-None-Match: * to create) on every \
                 PUT and DELETE: read the record first and send its ETag"
                    .into(),
                vec![],
            ),
            ApiError::MethodNotAllowed(method) => (
                format!("This path does not support {method}; see the Allow header"),
                vec![],
            ),
            ApiError::PayloadTooLarge { limit } => (
                format!("The request body is larger than the limit of {limit} bytes"),
                vec![],
            ),
            ApiError::BodyTimeout { ms } => (
                format!("The request body was not received within {ms} ms"),
                vec![],
            ),
            ApiError::UnsupportedMediaType(ct) => (
                format!("Content type {ct:?} is not supported; send application/json"),
                vec![],
            ),
            ApiError::Unavailable(_) => (
                "The catalog database is unavailable; retry shortly".into(),
                vec![],
            ),
            ApiError::Busy => (
                "The service is busy with other large requests; retry shortly".into(),
                vec![],
            ),
            ApiError::AnswerTooLarge(_) => (
                format!(
                    "The candidates of this request carry more than {MAX_SHORTLISTED_CODES} \
                     colour codes; ask for fewer queries or alternatives per request"
                ),
                vec![ProblemField {
                    field: "queries".into(),
                    message: "ask for fewer queries or alternatives per request".into(),
                    index: None,
                }],
            ),
            ApiError::Unexpected(_) => ("An unexpected error occurred".into(), vec![]),
        };
        Problem {
            kind: self.kind().into(),
            title: status.canonical_reason().unwrap_or("Error").into(),
            status: status.as_u16(),
            detail,
            request_id: current_request_id(),
            trace_id: crate::telemetry::current_trace_id(),
            total_errors: match self {
                ApiError::Validation(errors) => Some(errors.total() as u64),
                _ => None,
            },
            errors,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Validation(_) | ApiError::InvalidRecords(_) | ApiError::AnswerTooLarge(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Gone(_) => StatusCode::GONE,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::BodyTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            ApiError::Unavailable(_) | ApiError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem document, with `Retry-After` on 429 and 503 and
    /// `WWW-Authenticate` on 401.
    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Unexpected(e) => tracing::error!(error = ?e, "request failed"),
            // Not always the database (a catalog still loading, a server
            // shutting down); the cause's chain, without a backtrace.
            ApiError::Unavailable(e) => {
                let cause = format!("{e:#}");
                tracing::warn!(error = %cause, "unavailable")
            }
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        response.content_type(PROBLEM_JSON);
        match self {
            ApiError::Unavailable(_) | ApiError::Busy => {
                response.insert_header((header::RETRY_AFTER, RETRY_AFTER_SECS.to_string()));
            }
            ApiError::TooManyRequests { retry_after_secs } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            ApiError::Unauthorized { token_refused } => {
                let challenge = match token_refused {
                    None => "Bearer".to_owned(),
                    Some(reason) => {
                        format!(r#"Bearer error="invalid_token", error_description="{reason}""#)
                    }
                };
                response.insert_header((header::WWW_AUTHENTICATE, challenge));
            }
            ApiError::Forbidden => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    r#"Bearer error="insufficient_scope""#,
                ));
            }
            _ => {}
        }
        response.json(self.problem())
    }
}

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

impl From<FieldErrors> for ApiError {
    fn from(errors: FieldErrors) -> Self {
        ApiError::Validation(errors)
    }
}

impl From<FieldError> for ApiError {
    fn from(error: FieldError) -> Self {
        ApiError::Validation(error.into())
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        db::record_failure(&error);
        if db::is_unavailable(&error) {
            ApiError::Unavailable(error.into())
        } else {
            ApiError::Unexpected(error.into())
        }
    }
}

impl From<LookupError> for ApiError {
    fn from(error: LookupError) -> Self {
        match error {
            LookupError::Database(e) => e.into(),
            LookupError::TooLarge(e) => e.into(),
        }
    }
}

impl From<JsonError> for ApiError {
    fn from(error: JsonError) -> Self {
        match error {
            JsonError::Malformed { detail, errors } => ApiError::BadRequest { detail, errors },
            JsonError::Invalid(errors) => ApiError::Validation(errors),
        }
    }
}

impl From<LoadError> for ApiError {
    fn from(error: LoadError) -> Self {
        match error {
            LoadError::Invalid(records) => ApiError::InvalidRecords(records),
            LoadError::Database(e) => e.into(),
        }
    }
}

pub type ApiResult<T, E = ApiError> = Result<T, E>;
