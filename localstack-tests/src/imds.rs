//! A fake EC2 instance metadata service, because no emulator serves one that real agents can use
//! (env.md §1a: moto's stub has no identity document and its IMDSv2 answer lacks the TTL header).
//! It follows AWS's documented behaviour ("Use the Instance Metadata Service to access instance
//! metadata", EC2 User Guide):
//! - IMDSv2: `PUT /latest/api/token` needs `X-aws-ec2-metadata-token-ttl-seconds` of 1–21600
//!   (else 400) and answers the token with that header echoed; a GET with
//!   `X-aws-ec2-metadata-token` needs a valid, unexpired token (else 401).
//! - IMDSv1 (no token header) works unless the instance requires tokens (`http_tokens=required`:
//!   then 401).
//! - Paths: `meta-data/instance-id`, `local-ipv4`, `placement/region`,
//!   `placement/availability-zone`, `iam/info`, `iam/security-credentials/[role]`, and
//!   `dynamic/instance-identity/{document,pkcs7,rsa2048}`; anything else 404.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Temporary credentials of the instance profile.
#[derive(Debug, Clone)]
pub struct Creds {
    /// Access key id.
    pub access: String,
    /// Secret key.
    pub secret: String,
    /// Session token.
    pub token: String,
}

/// What the metadata service says about its instance.
#[derive(Debug, Clone)]
pub struct Instance {
    /// The identity document text.
    pub document: String,
    /// `/pkcs7` body (base64, no PEM lines).
    pub pkcs7: String,
    /// `/rsa2048` body.
    pub rsa2048: String,
    /// Instance id.
    pub instance_id: String,
    /// Private IP.
    pub ip: String,
    /// Region.
    pub region: String,
    /// Availability zone.
    pub az: String,
    /// Instance profile role name.
    pub role: String,
    /// Its credentials.
    pub creds: Creds,
    /// `http_tokens=required`: IMDSv1 refused.
    pub tokens_required: bool,
}

#[derive(Clone)]
struct Shared {
    instance: Arc<Mutex<Instance>>,
    tokens: Arc<Mutex<HashMap<String, Instant>>>,
    counter: Arc<Mutex<u64>>,
}

/// A running fake IMDS on 127.0.0.1; stops on drop.
pub struct Imds {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Imds {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Imds {
    /// Starts serving `instance`.
    pub async fn start(instance: Instance) -> anyhow::Result<Self> {
        let shared = Shared {
            instance: Arc::new(Mutex::new(instance)),
            tokens: Arc::new(Mutex::new(HashMap::new())),
            counter: Arc::new(Mutex::new(0)),
        };
        let app = Router::new()
            .route("/latest/api/token", put(token))
            .route("/latest/{*path}", get(serve))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { url, shared, task })
    }

    /// Changes what the service answers from now on.
    pub fn update(&self, f: impl FnOnce(&mut Instance)) {
        if let Ok(mut i) = self.shared.instance.lock() {
            f(&mut i);
        }
    }
}

async fn token(State(s): State<Shared>, headers: HeaderMap) -> Response {
    let ttl = headers
        .get("x-aws-ec2-metadata-token-ttl-seconds")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let Some(ttl) = ttl.filter(|t| (1..=21_600).contains(t)) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let n = match s.counter.lock() {
        Ok(mut c) => {
            *c += 1;
            *c
        }
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    let token = format!("imds-token-{n}-{}", std::process::id());
    if let Ok(mut t) = s.tokens.lock() {
        t.insert(token.clone(), Instant::now() + Duration::from_secs(ttl));
    }
    (
        [("x-aws-ec2-metadata-token-ttl-seconds", ttl.to_string())],
        token,
    )
        .into_response()
}

async fn serve(State(s): State<Shared>, Path(path): Path<String>, headers: HeaderMap) -> Response {
    let Ok(i) = s.instance.lock().map(|i| i.clone()) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    match headers
        .get("x-aws-ec2-metadata-token")
        .and_then(|v| v.to_str().ok())
    {
        Some(t) => {
            let valid = s
                .tokens
                .lock()
                .ok()
                .and_then(|m| m.get(t).copied())
                .is_some_and(|exp| exp > Instant::now());
            if !valid {
                return StatusCode::UNAUTHORIZED.into_response();
            }
        }
        None if i.tokens_required => return StatusCode::UNAUTHORIZED.into_response(),
        None => {}
    }
    let creds_path = format!("meta-data/iam/security-credentials/{}", i.role);
    let body = match path.as_str() {
        "dynamic/instance-identity/document" => i.document,
        "dynamic/instance-identity/pkcs7" => i.pkcs7,
        "dynamic/instance-identity/rsa2048" => i.rsa2048,
        "meta-data/instance-id" => i.instance_id,
        "meta-data/local-ipv4" => i.ip,
        "meta-data/placement/region" => i.region,
        "meta-data/placement/availability-zone" => i.az,
        "meta-data/iam/security-credentials" | "meta-data/iam/security-credentials/" => i.role,
        "meta-data/iam/info" => serde_json::json!({
            "Code": "Success",
            "LastUpdated": "2026-12-04T00:00:00Z",
            "InstanceProfileArn": format!("arn:aws:iam::123456789012:instance-profile/{}", i.role),
            "InstanceProfileId": "AIPAFAKEPROFILEID0001",
        })
        .to_string(),
        p if p == creds_path => serde_json::json!({
            "Code": "Success",
            "LastUpdated": "2026-12-04T00:00:00Z",
            "Type": "AWS-HMAC",
            "AccessKeyId": i.creds.access,
            "SecretAccessKey": i.creds.secret,
            "Token": i.creds.token,
            "Expiration": "2099-01-01T00:00:00Z",
        })
        .to_string(),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    body.into_response()
}
