//! A fake Nova compute API, following the Compute API reference ("Show Server Details"):
//! `GET /v2.1/servers/{server_id}` with a valid Keystone token in `X-Auth-Token` (else 401)
//! answers 200 `{"server": {...}}` with `id`, `name`, `status`, `tenant_id`, `addresses`
//! (`{"private": [{"addr", "version": 4, "OS-EXT-IPS:type": "fixed"}]}`) and `metadata`, or 404
//! `{"itemNotFound": {...}}` for a server it does not have. The test sets the servers, and may
//! take the API out of service (503 `computeFault`).

use crate::keystone::Tokens;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// One server.
#[derive(Debug, Clone, PartialEq)]
pub struct Server {
    /// uuid.
    pub id: String,
    /// Name.
    pub name: String,
    /// `ACTIVE`, `SHUTOFF`, …
    pub status: String,
    /// Project id.
    pub tenant_id: String,
    /// Fixed IPv4 addresses on network `private`.
    pub addresses: Vec<String>,
    /// Server metadata.
    pub metadata: Value,
}

#[derive(Clone)]
struct Shared {
    tokens: Tokens,
    servers: Arc<Mutex<HashMap<String, Server>>>,
    available: Arc<AtomicBool>,
}

/// A running fake Nova on 127.0.0.1; stops on drop.
pub struct Nova {
    /// `http://127.0.0.1:PORT/v2.1` (the `nova_url`, with its version path).
    pub url: String,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Nova {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Nova {
    /// Starts with no servers, accepting the tokens Keystone issued.
    pub async fn start(tokens: Tokens) -> anyhow::Result<Self> {
        let shared = Shared {
            tokens,
            servers: Arc::new(Mutex::new(HashMap::new())),
            available: Arc::new(AtomicBool::new(true)),
        };
        let app = Router::new()
            .route("/v2.1/servers/{id}", get(show))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/v2.1", listener.local_addr()?);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { url, shared, task })
    }

    /// Adds (or replaces) a server.
    pub fn put(&self, server: Server) {
        if let Ok(mut s) = self.shared.servers.lock() {
            s.insert(server.id.clone(), server);
        }
    }

    /// Sets a server's status (`ACTIVE`, `SHUTOFF`, …).
    pub fn set_status(&self, id: &str, status: &str) {
        self.update(id, |s| s.status = status.to_string());
    }

    /// Changes a server.
    pub fn update(&self, id: &str, f: impl FnOnce(&mut Server)) {
        if let Ok(mut s) = self.shared.servers.lock()
            && let Some(server) = s.get_mut(id)
        {
            f(server);
        }
    }

    /// Takes the API out of service (every request 503) or back.
    pub fn set_available(&self, up: bool) {
        self.shared.available.store(up, Ordering::SeqCst);
    }

    /// Deletes a server: from now on it is 404.
    pub fn delete(&self, id: &str) {
        if let Ok(mut s) = self.shared.servers.lock() {
            s.remove(id);
        }
    }
}

async fn show(State(s): State<Shared>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if !s.available.load(Ordering::SeqCst) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({"computeFault": {"code": 503,
                "message": "The server is currently unavailable."}})),
        )
            .into_response();
    }
    let token = headers.get("x-auth-token").and_then(|v| v.to_str().ok());
    if !token.is_some_and(|t| s.tokens.valid(t)) {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": {"code": 401, "title": "Unauthorized",
                "message": "The request you have made requires authentication."}})),
        )
            .into_response();
    }
    let server = s.servers.lock().ok().and_then(|m| m.get(&id).cloned());
    let Some(v) = server else {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"itemNotFound": {"code": 404,
                "message": format!("Instance {id} could not be found.")}})),
        )
            .into_response();
    };
    let private: Vec<Value> = v
        .addresses
        .iter()
        .map(|a| {
            json!({"addr": a, "version": 4, "OS-EXT-IPS:type": "fixed",
                "OS-EXT-IPS-MAC:mac_addr": "fa:16:3e:00:00:01"})
        })
        .collect();
    axum::Json(json!({"server": {
        "id": v.id,
        "name": v.name,
        "status": v.status,
        "tenant_id": v.tenant_id,
        "user_id": "9349aff8be7545ac9d2f1d00999a23cd",
        "addresses": {"private": private},
        "metadata": v.metadata,
        "OS-EXT-STS:vm_state": if v.status == "ACTIVE" { "active" } else { "stopped" },
        "created": "2026-12-04T00:00:00Z",
        "updated": "2026-12-04T00:00:00Z",
    }}))
    .into_response()
}
