//! RFC 9457 problem documents: the one shape of every error the API
//! returns, in responses and inside batch results.

use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::FieldError;

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:problem:validation",
    "title": "Unprocessable Content",
    "status": 422,
    "detail": "The request breaks 1 rule",
    "request_id": "3f1c2a4e-8d0b-4c2e-9d5e-2b7f0a1c9e11",
    "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
    "errors": [{"field": "bricks[0].design_id", "message": "must be between 0 and 2147483647"}],
    "total_errors": 1
}))]
pub struct Problem {
    /// A stable identifier of the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub request_id: Option<String>,
    /// The OpenTelemetry trace id of the request, when traces are on
    /// (README "Tracing"): the trace to look up in X-Ray or another backend.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
    /// The fields at fault (at most 100); empty when the problem is not
    /// about a field.
    pub errors: Vec<ProblemField>,
    /// For rule violations: how many rules were broken, listed or not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_errors: Option<u64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemField {
    /// Path of the field in the request, e.g. `bricks[0].color_codes[1]`.
    /// For bulk loads, the path within the record at `index`.
    pub field: String,
    pub message: String,
    /// For bulk loads: the 0-based index of the record at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
}

impl From<FieldError> for ProblemField {
    fn from(e: FieldError) -> Self {
        ProblemField {
            field: e.field,
            message: e.message,
            index: None,
        }
    }
}
