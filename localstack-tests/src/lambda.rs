//! A fake AWS Lambda Runtime API, because the real one exists only inside Lambda's execution
//! environment (and its emulator needs Docker, which this machine lacks). It follows the
//! documented custom-runtime contract ("AWS Lambda runtime API", Lambda Developer Guide), so the
//! real `lambda_runtime` crate drives a real function binary against it:
//! - `GET /2018-06-01/runtime/invocation/next` answers the next queued event with the headers
//!   `Lambda-Runtime-Aws-Request-Id`, `Lambda-Runtime-Deadline-Ms` and
//!   `Lambda-Runtime-Invoked-Function-Arn`; with nothing queued it waits, as Lambda does while the
//!   environment is frozen between invocations.
//! - `POST /2018-06-01/runtime/invocation/{id}/response` and `…/{id}/error` answer 202 and record
//!   the outcome; an unknown id is 400.
//! - `POST /2018-06-01/runtime/init/error` answers 202 and records the init failure.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// How one invocation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The function's response body.
    Response(serde_json::Value),
    /// The function's error body.
    Error(String),
}

#[derive(Default)]
struct Inner {
    queue: VecDeque<(String, serde_json::Value)>,
    pending: HashSet<String>,
    outcomes: HashMap<String, Outcome>,
    init_errors: Vec<String>,
    next_calls: u32,
}

#[derive(Clone, Default)]
struct Shared {
    inner: Arc<Mutex<Inner>>,
    queued: Arc<Notify>,
    done: Arc<Notify>,
}

/// A running fake Runtime API on 127.0.0.1; stops on drop.
pub struct RuntimeApi {
    /// `127.0.0.1:PORT`: the value of `AWS_LAMBDA_RUNTIME_API`.
    pub host_port: String,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The ARN the fake reports as the invoked function.
pub const FUNCTION_ARN: &str = "arn:aws:lambda:us-west-2:000000000000:function:weather-api";

impl RuntimeApi {
    /// Starts with an empty queue.
    pub async fn start() -> anyhow::Result<Self> {
        let shared = Shared::default();
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let host_port = listener.local_addr()?.to_string();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            host_port,
            shared,
            task,
        })
    }

    /// Queues an invocation with request id `id`.
    pub fn invoke(&self, id: &str, event: serde_json::Value) {
        if let Ok(mut i) = self.shared.inner.lock() {
            i.queue.push_back((id.to_string(), event));
        }
        // Wakes every `next` that is waiting; each made its `notified()` before looking.
        self.shared.queued.notify_waiters();
    }

    /// Waits up to `timeout` for invocation `id` to end.
    pub async fn outcome(&self, id: &str, timeout: Duration) -> Option<Outcome> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let done = self.shared.done.notified();
            if let Some(o) = self
                .shared
                .inner
                .lock()
                .ok()
                .and_then(|i| i.outcomes.get(id).cloned())
            {
                return Some(o);
            }
            if tokio::time::timeout_at(deadline, done).await.is_err() {
                return None;
            }
        }
    }

    /// How many times the function asked for its next event (0: it never finished its init).
    pub fn next_calls(&self) -> u32 {
        self.shared.inner.lock().map_or(0, |i| i.next_calls)
    }

    /// Init errors the function reported.
    pub fn init_errors(&self) -> Vec<String> {
        self.shared
            .inner
            .lock()
            .map(|i| i.init_errors.clone())
            .unwrap_or_default()
    }
}

async fn next(State(s): State<Shared>) -> Response {
    if let Ok(mut i) = s.inner.lock() {
        i.next_calls += 1;
    }
    loop {
        let queued = s.queued.notified();
        let item = s.inner.lock().ok().and_then(|mut i| {
            let item = i.queue.pop_front();
            if let Some((id, _)) = &item {
                i.pending.insert(id.clone());
            }
            item
        });
        if let Some((id, event)) = item {
            let deadline = time::OffsetDateTime::now_utc() + time::Duration::seconds(30);
            let ms = deadline.unix_timestamp_nanos() / 1_000_000;
            return (
                [
                    ("lambda-runtime-aws-request-id", id),
                    ("lambda-runtime-deadline-ms", ms.to_string()),
                    ("lambda-runtime-invoked-function-arn", FUNCTION_ARN.into()),
                    ("content-type", "application/json".into()),
                ],
                event.to_string(),
            )
                .into_response();
        }
        queued.await;
    }
}

fn finish(s: &Shared, id: &str, outcome: Outcome) -> Response {
    let known = s
        .inner
        .lock()
        .map(|mut i| {
            let known = i.pending.remove(id);
            if known {
                i.outcomes.insert(id.to_string(), outcome);
            }
            known
        })
        .unwrap_or(false);
    s.done.notify_waiters();
    if known {
        StatusCode::ACCEPTED.into_response()
    } else {
        (
            StatusCode::BAD_REQUEST,
            r#"{"errorMessage":"unknown request id","errorType":"InvalidRequestID"}"#,
        )
            .into_response()
    }
}

async fn response(State(s): State<Shared>, Path(id): Path<String>, body: Bytes) -> Response {
    let value = serde_json::from_slice(&body)
        .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(&body).into()));
    finish(&s, &id, Outcome::Response(value))
}

async fn error(State(s): State<Shared>, Path(id): Path<String>, body: Bytes) -> Response {
    finish(
        &s,
        &id,
        Outcome::Error(String::from_utf8_lossy(&body).into()),
    )
}

async fn init_error(State(s): State<Shared>, _h: HeaderMap, body: Bytes) -> Response {
    if let Ok(mut i) = s.inner.lock() {
        i.init_errors.push(String::from_utf8_lossy(&body).into());
    }
    StatusCode::ACCEPTED.into_response()
}
