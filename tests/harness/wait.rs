//! One way to wait in a test: `eventually` polls a check until it holds or
//! a deadline passes, and fails naming what it waited for.

use std::future::Future;
use std::time::{Duration, Instant};

/// How often `eventually` asks again.
const EVERY: Duration = Duration::from_millis(20);

/// Polls `check` until it returns `Some`, and returns that; panics with
/// `what` and the last value seen once `within` has passed.
pub async fn eventually<T, F, Fut>(what: &str, within: Duration, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    eventually_or(within, check, || format!("waited {within:?} for {what}")).await
}

/// `eventually`, failing with what `explain` says then (a log, say).
pub async fn eventually_or<T, F, Fut>(
    within: Duration,
    mut check: F,
    explain: impl FnOnce() -> String,
) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(found) = check().await {
            return found;
        }
        if Instant::now() >= deadline {
            panic!("{}", explain());
        }
        tokio::time::sleep(EVERY).await;
    }
}

/// `eventually` for a condition.
pub async fn until<F, Fut>(what: &str, within: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    eventually(what, within, || {
        let holds = check();
        async move { holds.await.then_some(()) }
    })
    .await
}
