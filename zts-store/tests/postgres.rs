//! The conformance suite on PostgreSQL.
//!
//! Needs a server: `TEST_DATABASE_URL` must name a database on it as a user
//! allowed to create databases. Every test creates its own database
//! `zts_test_<random>` there, so tests run in parallel safely, and drops it
//! afterwards. Without `TEST_DATABASE_URL` every test here FAILS on purpose:
//! a skipped backend must not look like a passing one.

mod common;

use std::future::Future;
use std::hash::{BuildHasher, RandomState};

use sqlx::{AssertSqlSafe, Connection, PgConnection};
use zts_store::{StoreError, open};

const HOW_TO: &str = "TEST_DATABASE_URL is not set, so the PostgreSQL conformance tests cannot run. \
Start a throwaway server from the workspace root with `eval \"$(scripts/pg-start)\"` \
(stop it with `scripts/pg-stop`), or point it at any server as a user who may CREATE DATABASE, \
e.g. TEST_DATABASE_URL=postgres://postgres@127.0.0.1:54329/postgres";

fn admin_url() -> String {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => url,
        _ => panic!("{HOW_TO}"),
    }
}

/// `url` with its database (the last path segment) replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[after_scheme..]
        .find('/')
        .map_or(base.len(), |i| after_scheme + i);
    format!("{}/{database}{query}", &base[..host_end])
}

/// Runs a case on a new, empty database and drops it afterwards (also when
/// the case panics: it runs in its own task so the panic can be caught).
async fn with_postgres<F, Fut>(case: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let admin = admin_url();
    let database = format!("zts_test_{:016x}", RandomState::new().hash_one(0u8));
    let mut conn = PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to TEST_DATABASE_URL: {e}. {HOW_TO}"));
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {database}")))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("CREATE DATABASE {database} failed: {e}"));

    let outcome = tokio::spawn(case(with_database(&admin, &database))).await;

    // Best effort: FORCE disconnects pools the case may have left open.
    if let Err(e) = sqlx::query(AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {database} WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await
    {
        eprintln!("warning: could not drop test database {database}: {e}");
    }
    if let Err(err) = outcome {
        match err.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(err) => panic!("test task failed: {err}"),
        }
    }
}

common::conformance_suite!(with_postgres);

#[test]
fn with_database_replaces_only_the_database() {
    assert_eq!(
        with_database("postgres://u:p@h:5432/postgres?sslmode=disable", "x"),
        "postgres://u:p@h:5432/x?sslmode=disable"
    );
    assert_eq!(with_database("postgresql://h", "x"), "postgresql://h/x");
}

#[tokio::test]
async fn url_errors_hide_the_password() {
    // The port is not a number, so the URL is rejected before connecting.
    let err = open("postgres://zts:hunter2@127.0.0.1:port/zts")
        .await
        .expect_err("a bad port must be rejected");
    assert!(matches!(err, StoreError::Url(_)), "{err:?}");
    let message = err.to_string();
    assert!(!message.contains("hunter2"), "{message}");
    assert!(
        message.contains("postgres://zts:***@127.0.0.1"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_ignores_a_stricter_default_isolation() {
    // Refresh sets READ COMMITTED itself: under a SERIALIZABLE default, a
    // refresh waiting on the row lock would otherwise fail with a
    // serialization error instead of seeing the winner's update.
    with_postgres(|url| async move {
        let mut conn = PgConnection::connect(&url).await.unwrap();
        sqlx::query(
            "DO $$ BEGIN EXECUTE format(\
             'ALTER DATABASE %I SET default_transaction_isolation = %L', \
             current_database(), 'serializable'); END $$",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        drop(conn);
        common::suite::concurrent_current_and_previous_refreshes_serialize(url).await;
    })
    .await;
}
