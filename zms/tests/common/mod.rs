//! Test harness: starts the real `zms-server` binary in dev mode (SQLite, or PostgreSQL through
//! `ZMS_STORE_URL` on a fresh database of `TEST_DATABASE_URL`), waits for `/status` by polling, and
//! talks to it over HTTPS with client certificates from the dev CA.
#![allow(
    dead_code,
    reason = "each test file uses a different part of the harness"
)]

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Which store the server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct Server {
    child: Child,
    pub dir: tempfile::TempDir,
    pub base: String,
    pub store_url: Option<String>,
    pub admin: Client,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Creates a fresh PostgreSQL database and returns its URL. Panics (never skips) without
/// `TEST_DATABASE_URL`.
pub async fn fresh_pg_database() -> String {
    use sqlx::Connection;
    let admin = std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| {
        panic!("TEST_DATABASE_URL is not set: run `eval \"$(scripts/pg-start)\"` first (scripts/test does)")
    });
    let name = format!("zms_it_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("connect TEST_DATABASE_URL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create db");
    let (base, _) = admin.rsplit_once('/').expect("database url has a path");
    format!("{base}/{name}")
}

impl Server {
    pub async fn start(backend: Backend) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let store_url = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(fresh_pg_database().await),
        };
        Self::start_in(dir, store_url, &[]).await
    }

    /// Starts on an existing state dir (restart tests) with extra env.
    pub async fn start_in(
        dir: tempfile::TempDir,
        store_url: Option<String>,
        env: &[(&str, &str)],
    ) -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_zms-server"));
        cmd.args(["--dev", "--listen", "127.0.0.1:0", "--state-dir"])
            .arg(dir.path())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some(u) = &store_url {
            cmd.env("ZMS_STORE_URL", u);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn zms-server");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("zms-server listening on ") {
                    let _ = tx.send(rest.trim_end_matches("/zms/v1").to_string());
                }
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("zms-server did not report its address");
        let admin = Client::new(&base, dir.path(), Some(("admin.cert.pem", "admin.key.pem")));
        let server = Self {
            child,
            dir,
            base,
            store_url,
            admin,
        };
        server.wait_ready().await;
        server
    }

    async fn wait_ready(&self) {
        let anon = Client::new(&self.base, self.dir.path(), None);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let reply = anon
                .http
                .get(format!("{}/zms/v1/status", self.base))
                .send()
                .await;
            if reply.is_ok_and(|r| r.status() == 200) {
                return;
            }
            assert!(Instant::now() < deadline, "zms-server not ready in 60 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A client authenticated as `principal` (a new certificate from the dev CA).
    pub fn client_for(&self, principal: &str) -> Client {
        let cert = format!("{principal}.cert.pem");
        let key = format!("{principal}.key.pem");
        let d = self.dir.path();
        zms::dev::issue_client_cert_from_dir(d, principal, &d.join(&cert), &d.join(&key))
            .expect("issue cert");
        Client::new(&self.base, d, Some((&cert, &key)))
    }

    /// Stops the server, keeping its state directory.
    pub fn stop(mut self) -> (tempfile::TempDir, Option<String>) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().expect("tempdir"));
        (dir, self.store_url.take())
    }
}

/// An HTTPS client with an optional client certificate.
#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
}

/// Status and parsed JSON body (Null when empty).
pub type Reply = (u16, Value);

impl Client {
    pub fn new(base: &str, dir: &Path, identity: Option<(&str, &str)>) -> Self {
        let ca = std::fs::read(dir.join("ca.cert.pem")).expect("ca");
        let mut b = reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("ca pem"));
        if let Some((c, k)) = identity {
            let mut pem = std::fs::read(dir.join(c)).expect("cert");
            pem.extend(std::fs::read(dir.join(k)).expect("key"));
            b = b.identity(reqwest::Identity::from_pem(&pem).expect("identity"));
        }
        Self {
            http: b.build().expect("client"),
            base: base.to_string(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/zms/v1{path}", self.base)
    }

    async fn reply(r: reqwest::RequestBuilder) -> Reply {
        let resp = r.send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        let v = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, v)
    }

    pub async fn get(&self, path: &str) -> Reply {
        Self::reply(self.http.get(self.url(path))).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        Self::reply(self.http.delete(self.url(path))).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Reply {
        Self::reply(self.http.put(self.url(path)).json(&body)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        Self::reply(self.http.post(self.url(path)).json(&body)).await
    }

    pub async fn put_raw(&self, path: &str, body: Vec<u8>, audit_ref: Option<&str>) -> Reply {
        let mut r = self
            .http
            .put(self.url(path))
            .header("content-type", "application/json")
            .body(body);
        if let Some(a) = audit_ref {
            r = r.header("Y-Audit-Ref", a);
        }
        Self::reply(r).await
    }

    /// Asserts a 2xx and returns the body.
    pub async fn ok_put(&self, path: &str, body: Value) -> Value {
        let (s, v) = self.put(path, body).await;
        assert!((200..300).contains(&s), "PUT {path}: {s} {v}");
        v
    }

    pub async fn ok_post(&self, path: &str, body: Value) -> Value {
        let (s, v) = self.post(path, body).await;
        assert!((200..300).contains(&s), "POST {path}: {s} {v}");
        v
    }

    /// `GET /access/{action}/{resource}` for `principal`; returns the status and `granted`.
    pub async fn access(
        &self,
        principal: &str,
        action: &str,
        resource: &str,
        trust: Option<&str>,
    ) -> (u16, Option<bool>) {
        let mut path = format!("/access/{action}/{resource}?principal={principal}");
        if let Some(t) = trust {
            path.push_str(&format!("&domain={t}"));
        }
        let (s, v) = self.get(&path).await;
        (s, v.get("granted").and_then(Value::as_bool))
    }
}

pub fn state_file(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}
