//! A callback provider for tests: real HTTPS with a certificate naming `sys.provider.test` from the
//! dev CA, requiring ZTS's client certificate, deciding per request from the attestation data:
//! `ok` confirms (with `certExpiryTime: 60`), `client` confirms with `certUsage: client`, anything
//! else is refused with 403. It counts calls so tests can see whether ZTS asked.

use axum::extract::{Request, State};
use axum::routing::post;
use axum::{Json, Router};
use model::zts::InstanceConfirmation;
use server_common::tls::Peer;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct TestProvider {
    pub url: String,
    pub calls: Arc<AtomicUsize>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TestProvider {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

async fn decide(
    State(calls): State<Arc<AtomicUsize>>,
    req: Request,
) -> Result<Json<InstanceConfirmation>, (axum::http::StatusCode, String)> {
    calls.fetch_add(1, Ordering::SeqCst);
    let caller = req
        .extensions()
        .get::<Peer>()
        .and_then(|p| p.principal.clone());
    if caller.as_deref() != Some("sys.auth.zts") {
        return Err((
            axum::http::StatusCode::FORBIDDEN,
            "only ZTS may call".into(),
        ));
    }
    let bytes = axum::body::to_bytes(req.into_body(), 1 << 20)
        .await
        .map_err(|e| (axum::http::StatusCode::BAD_REQUEST, e.to_string()))?;
    let mut c: InstanceConfirmation = serde_json::from_slice(&bytes)
        .map_err(|e| (axum::http::StatusCode::BAD_REQUEST, e.to_string()))?;
    let mut attrs = std::collections::BTreeMap::new();
    match c.attestation_data.as_str() {
        "ok" => {
            attrs.insert("certExpiryTime".to_string(), "60".to_string());
            attrs.insert("zoneInfo".to_string(), "echoed".to_string());
        }
        "client" => {
            attrs.insert("certUsage".to_string(), "client".to_string());
        }
        other => {
            return Err((
                axum::http::StatusCode::FORBIDDEN,
                format!("attestation {other:?} refused"),
            ));
        }
    }
    c.attributes = Some(attrs);
    Ok(Json(c))
}

impl TestProvider {
    /// Starts on a free port with a certificate whose CN is `cn`.
    pub async fn start_named(dir: &Path, cn: &str) -> Self {
        let ca = server_common::devca::ensure_ca(dir).unwrap();
        let (cert, key) = (
            dir.join(format!("{cn}.provider.cert.pem")),
            dir.join(format!("{cn}.provider.key.pem")),
        );
        server_common::devca::issue_server_cert(&ca, cn, &cert, &key).unwrap();
        let tls =
            server_common::tls::server_config(&cert, &key, &[dir.join("ca.cert.pem")]).unwrap();
        let calls = Arc::new(AtomicUsize::new(0));
        let app = Router::new()
            .route("/instance", post(decide))
            .route("/refresh", post(decide))
            .with_state(calls.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "https://127.0.0.1:{}/",
            listener.local_addr().unwrap().port()
        );
        let (tx, rx) = tokio::sync::oneshot::channel();
        tokio::spawn(server_common::accept::run(listener, tls, app, async {
            let _ = rx.await;
        }));
        Self {
            url,
            calls,
            stop: Some(tx),
        }
    }

    pub async fn start(dir: &Path) -> Self {
        Self::start_named(dir, super::PROVIDER).await
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}
