//! A fake Keystone v3 token service, following the Identity API v3 reference ("Password
//! authentication with scoped authorization", "Validate and show information for token"):
//! - `POST /v3/auth/tokens` with a password-method body authenticates a configured user (by
//!   name, domain name and password; a project scope must name the user's project) and answers
//!   201, the token in `X-Subject-Token`, its description in the body; bad credentials get 401;
//! - `GET /v3/auth/tokens` needs a valid `X-Auth-Token` (else 401) and describes the token in
//!   `X-Subject-Token` (unknown or expired: 404).
//!
//! The body carries the catalog with the Nova compute endpoint the test set.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A configured user (in one domain, with roles on one project).
#[derive(Debug, Clone)]
pub struct User {
    /// Name.
    pub name: String,
    /// Password.
    pub password: String,
    /// Its domain's name (`Default`).
    pub domain: String,
    /// The project it has roles on (in its domain).
    pub project: String,
    /// Role names on that project.
    pub roles: Vec<String>,
}

impl User {
    /// A user of domain `Default` with roles on project `service`.
    pub fn new(name: &str, password: &str, roles: &[&str]) -> Self {
        Self {
            name: name.into(),
            password: password.into(),
            domain: "Default".into(),
            project: "service".into(),
            roles: roles.iter().map(|r| (*r).to_string()).collect(),
        }
    }
}

#[derive(Debug, Clone)]
struct Issued {
    user: User,
    issued: OffsetDateTime,
    expires: OffsetDateTime,
}

/// Keystone's state, shared with the Nova emulator (which accepts its tokens).
#[derive(Debug, Default)]
pub struct Identity {
    users: Vec<User>,
    tokens: HashMap<String, Issued>,
    compute_url: String,
}

/// A handle on the tokens Keystone issued.
#[derive(Debug, Clone, Default)]
pub struct Tokens(Arc<Mutex<Identity>>);

impl Tokens {
    /// Whether `token` is issued and unexpired.
    pub fn valid(&self, token: &str) -> bool {
        self.0
            .lock()
            .ok()
            .and_then(|s| s.tokens.get(token).map(|t| t.expires))
            .is_some_and(|exp| exp > OffsetDateTime::now_utc())
    }
}

/// A running fake Keystone on 127.0.0.1; stops on drop.
pub struct Keystone {
    /// `http://127.0.0.1:PORT/v3` (the `keystone_url`, with its version path).
    pub url: String,
    tokens: Tokens,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Keystone {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Keystone {
    /// Starts with `users`.
    pub async fn start(users: Vec<User>) -> anyhow::Result<Self> {
        let tokens = Tokens::default();
        if let Ok(mut s) = tokens.0.lock() {
            s.users = users;
        }
        let app = Router::new()
            .route("/v3/auth/tokens", post(issue).get(validate))
            .with_state(tokens.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/v3", listener.local_addr()?);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { url, tokens, task })
    }

    /// The tokens, for the Nova emulator.
    pub fn tokens(&self) -> Tokens {
        self.tokens.clone()
    }

    /// Sets the catalog's `compute` endpoint (with its version path, `…/v2.1`).
    pub fn set_compute_url(&self, url: &str) {
        if let Ok(mut s) = self.tokens.0.lock() {
            s.compute_url = url.to_string();
        }
    }

    /// Issues a token for `user` as `POST /v3/auth/tokens` would (for tests that need one
    /// without HTTP); `None` for bad credentials.
    pub fn token_for(&self, user: &str, password: &str) -> Option<String> {
        let mut s = self.tokens.0.lock().ok()?;
        let u = s
            .users
            .iter()
            .find(|u| u.name == user && u.password == password)?
            .clone();
        Some(store(&mut s, u))
    }
}

fn store(s: &mut Identity, user: User) -> String {
    let token = format!("gAAAAAB{}", uuid::Uuid::new_v4().simple());
    let issued = OffsetDateTime::now_utc();
    s.tokens.insert(
        token.clone(),
        Issued {
            user,
            issued,
            expires: issued + time::Duration::hours(1),
        },
    );
    token
}

fn error(code: StatusCode, title: &str, message: &str) -> Response {
    (
        code,
        axum::Json(json!({"error": {"code": code.as_u16(), "title": title, "message": message}})),
    )
        .into_response()
}

fn unauthorized() -> Response {
    error(
        StatusCode::UNAUTHORIZED,
        "Unauthorized",
        "The request you have made requires authentication.",
    )
}

/// A stable id for a name (Keystone ids are 32 hex digits).
fn id(kind: &str, name: &str) -> String {
    use std::hash::{Hash, Hasher};
    let half = |salt: &str| {
        let mut h = std::hash::DefaultHasher::new();
        (salt, kind, name).hash(&mut h);
        h.finish()
    };
    format!("{:016x}{:016x}", half("a"), half("b"))
}

fn stamp(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

fn body(t: &Issued, compute_url: &str) -> Value {
    let u = &t.user;
    let domain = json!({"id": if u.domain == "Default" { "default".to_string() } else { id("domain", &u.domain) }, "name": u.domain});
    let roles: Vec<Value> = u
        .roles
        .iter()
        .map(|r| json!({"id": id("role", r), "name": r}))
        .collect();
    json!({"token": {
        "methods": ["password"],
        "expires_at": stamp(t.expires),
        "issued_at": stamp(t.issued),
        "audit_ids": [id("audit", &stamp(t.issued))],
        "user": {"id": id("user", &u.name), "name": u.name, "domain": domain, "password_expires_at": null},
        "project": {"id": id("project", &u.project), "name": u.project, "domain": domain},
        "is_domain": false,
        "roles": roles,
        "catalog": [{
            "type": "compute", "name": "nova", "id": id("service", "nova"),
            "endpoints": [{"id": id("endpoint", "nova-public"), "interface": "public",
                "region": "RegionOne", "region_id": "RegionOne", "url": compute_url}],
        }],
    }})
}

fn password_user(req: &Value) -> Option<(&str, &str, &str)> {
    let identity = req.pointer("/auth/identity")?;
    let methods = identity.get("methods")?.as_array()?;
    if !methods.iter().any(|m| m == "password") {
        return None;
    }
    let user = identity.pointer("/password/user")?;
    Some((
        user.get("name")?.as_str()?,
        user.pointer("/domain/name")?.as_str()?,
        user.get("password")?.as_str()?,
    ))
}

async fn issue(State(tokens): State<Tokens>, body_bytes: axum::body::Bytes) -> Response {
    let Ok(req) = serde_json::from_slice::<Value>(&body_bytes) else {
        return error(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            "Expecting to find auth in request body.",
        );
    };
    let Some((name, domain, password)) = password_user(&req) else {
        return unauthorized();
    };
    let Ok(mut s) = tokens.0.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let Some(user) = s
        .users
        .iter()
        .find(|u| u.name == name && u.domain == domain && u.password == password)
        .cloned()
    else {
        return unauthorized();
    };
    // A project scope must name the user's project (in its domain).
    if let Some(p) = req.pointer("/auth/scope/project") {
        let pname = p.get("name").and_then(Value::as_str);
        let pdomain = p.pointer("/domain/name").and_then(Value::as_str);
        if pname != Some(user.project.as_str()) || pdomain != Some(user.domain.as_str()) {
            return unauthorized();
        }
    }
    let token = store(&mut s, user);
    let issued = s.tokens.get(&token).cloned();
    let compute = s.compute_url.clone();
    drop(s);
    let Some(issued) = issued else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    (
        StatusCode::CREATED,
        [("x-subject-token", token)],
        axum::Json(body(&issued, &compute)),
    )
        .into_response()
}

async fn validate(State(tokens): State<Tokens>, headers: HeaderMap) -> Response {
    let get = |h: &str| headers.get(h).and_then(|v| v.to_str().ok());
    if !get("x-auth-token").is_some_and(|t| tokens.valid(t)) {
        return unauthorized();
    }
    let Some(subject) = get("x-subject-token") else {
        return error(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            "X-Subject-Token is required.",
        );
    };
    let Ok(s) = tokens.0.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    match s.tokens.get(subject) {
        Some(t) if t.expires > OffsetDateTime::now_utc() => {
            axum::Json(body(t, &s.compute_url)).into_response()
        }
        _ => error(
            StatusCode::NOT_FOUND,
            "Not Found",
            &format!("Could not find token: {subject}."),
        ),
    }
}
