//! The access-check matrix: one tenant world built through the API, then every rule of the
//! evaluator checked through `GET /access`, on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use common::{Backend, Client, Server};
use serde_json::json;

async fn role(c: &Client, d: &str, r: &str, members: serde_json::Value) {
    c.ok_put(
        &format!("/domain/{d}/role/{r}"),
        json!({"name": format!("{d}:role.{r}"), "roleMembers": members}),
    )
    .await;
}

fn grant(effect: &str, action: &str, resource: &str, role: &str) -> serde_json::Value {
    json!({"effect": effect, "action": action, "resource": resource, "role": role})
}

/// Builds the world every case runs against.
async fn build_world(c: &Client) {
    for (name, admins) in [
        ("tenant", json!(["user.admin", "user.tadmin"])),
        ("partner", json!(["user.admin"])),
        ("eng", json!(["user.admin"])),
    ] {
        c.ok_post("/domain", json!({"name": name, "adminUsers": admins}))
            .await;
    }
    c.ok_post(
        "/subdomain/tenant",
        json!({"name": "sub", "parent": "tenant", "adminUsers": ["user.admin"]}),
    )
    .await;
    c.ok_post(
        "/subdomain/tenant",
        json!({"name": "off", "parent": "tenant", "adminUsers": ["user.admin"]}),
    )
    .await;

    c.ok_put(
        "/domain/eng/group/devs",
        json!({"name": "eng:group.devs", "groupMembers": [
            {"memberName": "user.dev"},
            {"memberName": "user.devexp", "expiration": "2001-01-01T00:00:00.000Z"}]}),
    )
    .await;
    c.ok_put(
        "/domain/eng/group/contractors",
        json!({"name": "eng:group.contractors", "groupMembers": [{"memberName": "user.c1"}]}),
    )
    .await;

    role(
        c,
        "partner",
        "ops",
        json!([{"memberName": "partner.bot"}, {"memberName": "user.pat"}]),
    )
    .await;
    c.ok_put(
        "/domain/partner/policy/trust",
        json!({"name": "partner:policy.trust", "assertions": [grant("ALLOW", "assume_role", "tenant:role.deleg*", "partner:role.ops")]}),
    )
    .await;

    role(
        c,
        "tenant",
        "readers",
        json!([
        {"memberName": "user.joe"},
        {"memberName": "user.expired", "expiration": "2001-01-01T00:00:00.000Z"},
        {"memberName": "user.future", "expiration": "2999-01-01T00:00:00.000Z"}]),
    )
    .await;
    role(
        c,
        "tenant",
        "writers",
        json!([{"memberName": "tenant.api"}, {"memberName": "media.*"}]),
    )
    .await;
    role(c, "tenant", "everyone", json!([{"memberName": "*"}])).await;
    role(
        c,
        "tenant",
        "devs",
        json!([{"memberName": "eng:group.devs"}]),
    )
    .await;
    role(c, "tenant", "blocked", json!([{"memberName": "user.joe"}])).await;
    role(c, "tenant", "jprefix", json!([{"memberName": "user.j*"}])).await;
    c.ok_put(
        "/domain/tenant/role/delegated",
        json!({"name": "tenant:role.delegated", "trust": "partner"}),
    )
    .await;

    c.ok_put(
        "/domain/tenant/policy/main",
        json!({"name": "tenant:policy.main", "assertions": [
            grant("ALLOW", "read", "tenant:articles.*", "tenant:role.readers"),
            grant("ALLOW", "write", "tenant:articles.*", "tenant:role.writers"),
            grant("DENY", "read", "tenant:articles.secret", "tenant:role.blocked"),
            grant("ALLOW", "ping", "tenant:*", "tenant:role.everyone"),
            grant("ALLOW", "deploy", "tenant:svc.?", "tenant:role.devs"),
            grant("ALLOW", "manage", "tenant:infra.*", "tenant:role.delegated"),
            grant("ALLOW", "list", "tenant:j.*", "tenant:role.jprefix"),
            grant("ALLOW", "audit*", "tenant:books", "tenant:role.*ers")]}),
    )
    .await;
    c.ok_put("/domain/tenant/policy/fence", json!({"name": "tenant:policy.fence", "assertions": [grant("DENY", "ping", "tenant:forbidden", "tenant:role.everyone")]})).await;
    c.ok_put(
        "/domain/tenant/policy/off",
        json!({"name": "tenant:policy.off", "active": false, "assertions": [grant("ALLOW", "nuke", "tenant:*", "tenant:role.everyone")]}),
    )
    .await;
    // An assertion added on its own, after the policy.
    let a = c
        .ok_put(
            "/domain/tenant/policy/main/assertion",
            grant("ALLOW", "approve", "tenant:orders.*", "tenant:role.writers"),
        )
        .await;
    assert!(a["id"].as_i64().is_some(), "assertion id assigned: {a}");

    role(c, "tenant.sub", "r", json!([{"memberName": "user.joe"}])).await;
    c.ok_put("/domain/tenant.sub/policy/p", json!({"name": "tenant.sub:policy.p", "assertions": [grant("ALLOW", "read", "tenant.sub:x", "tenant.sub:role.r")]})).await;
    c.ok_put(
        "/domain/tenant.off/meta/system/enabled",
        json!({"enabled": false}),
    )
    .await;
}

/// (principal, action, resource, trust domain, expected status, expected grant)
type Case = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    u16,
    Option<bool>,
);

const CASES: &[Case] = &[
    (
        "user.joe",
        "read",
        "tenant:articles.a",
        None,
        200,
        Some(true),
    ),
    (
        "user.joe",
        "READ",
        "Tenant:Articles.A",
        None,
        200,
        Some(true),
    ),
    (
        "user.joe",
        "read",
        "tenant:articles.secret",
        None,
        200,
        Some(false),
    ),
    (
        "user.expired",
        "read",
        "tenant:articles.a",
        None,
        200,
        Some(false),
    ),
    (
        "user.future",
        "read",
        "tenant:articles.a",
        None,
        200,
        Some(true),
    ),
    (
        "user.nobody",
        "read",
        "tenant:articles.a",
        None,
        200,
        Some(false),
    ),
    (
        "tenant.api",
        "write",
        "tenant:articles.x",
        None,
        200,
        Some(true),
    ),
    (
        "media.svc",
        "write",
        "tenant:articles.x",
        None,
        200,
        Some(true),
    ),
    (
        "mediax.svc",
        "write",
        "tenant:articles.x",
        None,
        200,
        Some(false),
    ),
    (
        "user.joe",
        "write",
        "tenant:articles.x",
        None,
        200,
        Some(false),
    ),
    ("any.body", "ping", "tenant:thing", None, 200, Some(true)),
    (
        "any.body",
        "ping",
        "tenant:forbidden",
        None,
        200,
        Some(false),
    ),
    ("user.dev", "deploy", "tenant:svc.a", None, 200, Some(true)),
    (
        "user.dev",
        "deploy",
        "tenant:svc.ab",
        None,
        200,
        Some(false),
    ),
    (
        "user.devexp",
        "deploy",
        "tenant:svc.a",
        None,
        200,
        Some(false),
    ),
    ("user.c1", "deploy", "tenant:svc.a", None, 200, Some(false)),
    (
        "partner.bot",
        "manage",
        "tenant:infra.db",
        None,
        200,
        Some(true),
    ),
    (
        "user.pat",
        "manage",
        "tenant:infra.db",
        None,
        200,
        Some(true),
    ),
    (
        "partner.other",
        "manage",
        "tenant:infra.db",
        None,
        200,
        Some(false),
    ),
    (
        "partner.bot",
        "assume_role",
        "tenant:role.delegated",
        Some("partner"),
        200,
        Some(true),
    ),
    (
        "user.joe",
        "assume_role",
        "tenant:role.delegated",
        Some("partner"),
        200,
        Some(false),
    ),
    ("user.jim", "list", "tenant:j.x", None, 200, Some(true)),
    ("user.kim", "list", "tenant:j.x", None, 200, Some(false)),
    ("any.body", "nuke", "tenant:x", None, 200, Some(false)),
    (
        "user.joe",
        "auditlog",
        "tenant:books",
        None,
        200,
        Some(true),
    ),
    ("tenant.api", "audit", "tenant:books", None, 200, Some(true)),
    ("user.dev", "audit", "tenant:books", None, 200, Some(false)),
    (
        "tenant.api",
        "approve",
        "tenant:orders.1",
        None,
        200,
        Some(true),
    ),
    ("user.joe", "read", "tenant.sub:x", None, 200, Some(true)),
    ("user.joe", "read", "tenant.sub:y", None, 200, Some(false)),
    (
        "user.admin",
        "anything",
        "tenant:whatever",
        None,
        200,
        Some(true),
    ),
    (
        "user.tadmin",
        "delete",
        "tenant:role.readers",
        None,
        200,
        Some(true),
    ),
    (
        "user.tadmin",
        "create",
        "sys.auth:domain",
        None,
        200,
        Some(false),
    ),
    (
        "user.admin",
        "create",
        "sys.auth:domain",
        None,
        200,
        Some(true),
    ),
    ("user.joe", "read", "nonexistent:x", None, 404, None),
    ("user.joe", "read", "tenant.off:x", None, 403, None),
    ("user.joe", "read", "bad domain:x", None, 400, None),
];

async fn run_matrix(backend: Backend) {
    let server = Server::start(backend).await;
    let c = &server.admin;
    build_world(c).await;
    let mut failures = Vec::new();
    for (p, a, r, t, status, granted) in CASES {
        let r = r.replace(' ', "%20");
        let got = c.access(p, a, &r, *t).await;
        if got != (*status, *granted) {
            failures.push(format!(
                "{p} {a} {r} {t:?}: want ({status}, {granted:?}) got {got:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{backend:?} failures:\n{}",
        failures.join("\n")
    );

    // A membership change is visible to the very next check.
    let (s, _) = c
        .delete("/domain/tenant/role/readers/member/user.joe")
        .await;
    assert_eq!(s, 204);
    assert_eq!(
        c.access("user.joe", "read", "tenant:articles.a", None)
            .await,
        (200, Some(false))
    );
    c.ok_put(
        "/domain/tenant/role/readers/member/user.joe",
        json!({"memberName": "user.joe"}),
    )
    .await;
    assert_eq!(
        c.access("user.joe", "read", "tenant:articles.a", None)
            .await,
        (200, Some(true))
    );
    // Removing the DENY assertion lifts the denial.
    let (_, p) = c.get("/domain/tenant/policy/main").await;
    let deny_id = p["assertions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["effect"] == "DENY")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (s, _) = c
        .delete(&format!("/domain/tenant/policy/main/assertion/{deny_id}"))
        .await;
    assert_eq!(s, 204);
    assert_eq!(
        c.access("user.joe", "read", "tenant:articles.secret", None)
            .await,
        (200, Some(true))
    );
    // The caller's own principal is used without ?principal=.
    let (s, v) = c.get("/access/update/tenant:role.readers").await;
    assert_eq!((s, v["granted"].as_bool()), (200, Some(true)));
    // Free-form resources go through the ?resource= variant.
    let (s, v) = c
        .get("/access/ping?resource=tenant:/some/path&principal=any.body")
        .await;
    assert_eq!((s, v["granted"].as_bool()), (200, Some(true)), "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_matrix_sqlite() {
    run_matrix(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_matrix_postgres() {
    run_matrix(Backend::Postgres).await;
}
