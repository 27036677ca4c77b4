//! The policy directory monitor: Java ZPE's `ZpeUpdMonitor` thread, which rescans the policy
//! directory every `athenz.zpe.monitor_timeout_secs` (default 300 s) so files `zpu` replaced
//! take effect without a restart. Decisions never wait for it: a reload swaps compiled domains
//! atomically.

use crate::{PolicyStore, ReloadReport};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;
use std::time::Duration;

/// Athenz's default interval.
pub const DEFAULT_MONITOR_INTERVAL: Duration = Duration::from_secs(300);

/// A running monitor; dropping it (or [`Monitor::stop`]) ends the thread.
#[derive(Debug)]
pub struct Monitor {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Monitor {
    /// Reloads `store` every `every`, passing each report to `on_report` (to log refused
    /// files). The thread holds only a weak reference: it ends when the store is dropped.
    pub fn start(
        store: &Arc<PolicyStore>,
        every: Duration,
        on_report: impl Fn(&ReloadReport) + Send + 'static,
    ) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::channel::<()>();
        let weak: Weak<PolicyStore> = Arc::downgrade(store);
        let thread = std::thread::Builder::new()
            .name("zpe-monitor".into())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = rx.recv_timeout(every) {
                    let Some(store) = weak.upgrade() else { return };
                    on_report(&store.reload());
                }
            })?;
        Ok(Self {
            stop: Some(tx),
            thread: Some(thread),
        })
    }

    /// Stops the thread and waits for it.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.shutdown();
    }
}
