//! Reading and dropping the body of a refused request.

use futures_util::StreamExt;
use std::time::Duration;

/// The most of a refused body that is read and dropped, so that the
/// connection stays open for the client's next request: a refusal should
/// cost less than an answer, and a new connection costs more than a few
/// KiB. Past it (or without a declared length), the connection closes.
const DRAIN_LIMIT: usize = 1024 * 1024;

/// Reads and drops a refused body of `declared` bytes, within
/// `DRAIN_LIMIT` and a short time; otherwise leaves it, and actix closes
/// the connection after the answer.
pub async fn drain<S>(payload: &mut S, declared: Option<usize>)
where
    S: futures_util::Stream<Item = Result<bytes::Bytes, actix_web::error::PayloadError>> + Unpin,
{
    if declared.is_none_or(|n| n > DRAIN_LIMIT) {
        return;
    }
    let read = async { while let Some(Ok(_)) = payload.next().await {} };
    let _ = tokio::time::timeout(Duration::from_millis(500), read).await;
}
