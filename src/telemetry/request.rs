//! The request being served, as every log line written while it is served
//! names it: a task-local scope set by the HTTP layer for the duration of
//! each request, and carried onto other threads with its work.

use std::future::Future;
use std::sync::Arc;

/// The request being served: its id (for error bodies and log lines) and
/// its route pattern (for log lines).
#[derive(Debug, Clone)]
pub struct RequestScope {
    pub id: String,
    pub route: Arc<str>,
}

tokio::task_local! {
    static REQUEST: RequestScope;
}

/// Runs `work` as the request `scope` describes.
pub async fn in_request_scope<F: Future>(scope: RequestScope, work: F) -> F::Output {
    REQUEST.scope(scope, work).await
}

/// Runs `work` on this thread as the request `scope` describes.
pub fn in_request_scope_sync<T>(scope: RequestScope, work: impl FnOnce() -> T) -> T {
    REQUEST.sync_scope(scope, work)
}

/// `look` at the request being served, if any.
pub fn with_current_request<T>(look: impl FnOnce(&RequestScope) -> T) -> Option<T> {
    REQUEST.try_with(look).ok()
}
