//! `/health/live` sampled in the background while a test does harm.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Samples `{base}/health/live` every `every` until stopped.
pub struct Liveness {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<Sampled>,
}

/// What the samples saw.
#[derive(Debug, Clone, Copy)]
pub struct Sampled {
    pub slowest: Duration,
    pub failures: u32,
    pub samples: u32,
}

impl Liveness {
    pub fn watch(base: &str, every: Duration) -> Liveness {
        let stop = Arc::new(AtomicBool::new(false));
        let url = format!("{base}/health/live");
        let done = stop.clone();
        let task = tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut sampled = Sampled {
                slowest: Duration::ZERO,
                failures: 0,
                samples: 0,
            };
            while !done.load(Ordering::SeqCst) {
                let started = Instant::now();
                let ok = client
                    .get(&url)
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 200);
                sampled.failures += u32::from(!ok);
                sampled.samples += 1;
                sampled.slowest = sampled.slowest.max(started.elapsed());
                tokio::time::sleep(every).await;
            }
            sampled
        });
        Liveness { stop, task }
    }

    /// Stops sampling; what the samples saw.
    pub async fn stop(self) -> Sampled {
        self.stop.store(true, Ordering::SeqCst);
        self.task.await.unwrap()
    }
}
