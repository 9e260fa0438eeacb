//! The background tasks of a running server, owned by one `Supervisor`:
//! it spawns them, stops them on shutdown in the order they were started
//! (or the order given), waits for each, and reports one that ends on its
//! own, whether it returned or panicked, in the log and in
//! `background_task_exits_total`.

use futures_util::FutureExt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::metrics::Metrics;

/// How long shutdown waits for one task to stop once it is cancelled.
const STOP_PATIENCE: Duration = Duration::from_secs(5);

/// How a task ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Stopped by the supervisor.
    Stopped,
    /// Returned on its own: background tasks are meant to run until stopped.
    Returned,
    Panicked,
}

struct Task {
    name: &'static str,
    cancel: CancellationToken,
    handle: JoinHandle<Exit>,
}

/// Owns every background task of the server.
pub struct Supervisor {
    tasks: Vec<Task>,
    metrics: Option<Arc<Metrics>>,
}

impl Supervisor {
    /// A supervisor that counts tasks that end on their own in `metrics`.
    pub fn new(metrics: Option<Arc<Metrics>>) -> Supervisor {
        Supervisor {
            tasks: Vec::new(),
            metrics,
        }
    }

    /// Runs `work` until it ends or the supervisor stops it. `work` runs
    /// for as long as the server does: one that ends on its own is
    /// reported as an error.
    pub fn spawn(&mut self, name: &'static str, work: impl Future<Output = ()> + Send + 'static) {
        let cancel = CancellationToken::new();
        let token = cancel.clone();
        let metrics = self.metrics.clone();
        let handle = tokio::spawn(async move {
            let exit = tokio::select! {
                _ = token.cancelled() => Exit::Stopped,
                outcome = AssertUnwindSafe(work).catch_unwind() => match outcome {
                    Ok(()) => Exit::Returned,
                    Err(_) => Exit::Panicked,
                },
            };
            if exit != Exit::Stopped {
                tracing::error!(task = name, exit = ?exit, "a background task ended on its own");
                if let Some(metrics) = metrics {
                    metrics.observe_task_exit(name);
                }
            }
            exit
        });
        self.tasks.push(Task {
            name,
            cancel,
            handle,
        });
    }

    /// The names of the tasks still running, in the order they started.
    pub fn running(&self) -> Vec<&'static str> {
        self.tasks
            .iter()
            .filter(|t| !t.handle.is_finished())
            .map(|t| t.name)
            .collect()
    }

    /// Stops every task, last started first, waiting for each before the
    /// next; returns how each ended, in that order.
    pub async fn shutdown(self) -> Vec<(&'static str, Exit)> {
        let mut exits = Vec::with_capacity(self.tasks.len());
        for task in self.tasks.into_iter().rev() {
            task.cancel.cancel();
            let exit = match tokio::time::timeout(STOP_PATIENCE, task.handle).await {
                Ok(Ok(exit)) => exit,
                Ok(Err(_)) => Exit::Panicked,
                Err(_) => {
                    tracing::warn!(task = task.name, "a background task did not stop in time");
                    Exit::Stopped
                }
            };
            exits.push((task.name, exit));
        }
        exits
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Records its name when dropped, i.e. when its task is stopped.
    struct OnStop(&'static str, Arc<Mutex<Vec<&'static str>>>);

    impl Drop for OnStop {
        fn drop(&mut self) {
            self.1.lock().unwrap().push(self.0);
        }
    }

    #[tokio::test]
    async fn tasks_stop_last_started_first_and_say_how_they_ended() {
        let stopped = Arc::new(Mutex::new(Vec::new()));
        let mut supervisor = Supervisor::new(None);
        for name in ["listener", "follower", "trimmer"] {
            let guard = OnStop(name, stopped.clone());
            supervisor.spawn(name, async move {
                let _guard = guard;
                std::future::pending::<()>().await
            });
        }
        supervisor.spawn("returns", async {});
        supervisor.spawn("panics", async { panic!("a background task failed") });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(
            supervisor.running(),
            vec!["listener", "follower", "trimmer"]
        );
        let exits = supervisor.shutdown().await;
        assert_eq!(
            exits,
            vec![
                ("panics", Exit::Panicked),
                ("returns", Exit::Returned),
                ("trimmer", Exit::Stopped),
                ("follower", Exit::Stopped),
                ("listener", Exit::Stopped),
            ]
        );
        assert_eq!(
            *stopped.lock().unwrap(),
            vec!["trimmer", "follower", "listener"]
        );
    }

    #[tokio::test]
    async fn a_task_that_ends_on_its_own_is_counted() {
        let metrics = Arc::new(Metrics::new(1));
        let mut supervisor = Supervisor::new(Some(metrics.clone()));
        supervisor.spawn("janitor", async { panic!("gone") });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let page = metrics.render_registry();
        assert!(
            page.contains("background_task_exits_total{task=\"janitor\"} 1"),
            "{page}"
        );
        supervisor.shutdown().await;
    }
}
