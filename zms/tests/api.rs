//! API behaviour through the real binary: errors and their statuses, authorization of writes,
//! no partial writes, the audit log, system attributes, and domain lifecycle.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use common::{Backend, Server};
use serde_json::{Value, json};

fn msg(v: &Value) -> String {
    v["message"].as_str().unwrap_or_default().to_string()
}

async fn bad_input_and_authorization(backend: Backend) {
    let server = Server::start(backend).await;
    let c = &server.admin;
    c.ok_post(
        "/domain",
        json!({"name": "shop", "adminUsers": ["user.admin", "user.owner"]}),
    )
    .await;

    // Names outside the grammar, in the path and in the body.
    let (s, v) = c.get("/domain/bad..name").await;
    assert_eq!(s, 400, "{v}");
    assert!(msg(&v).contains("domain name"), "{v}");
    let (s, v) = c
        .post(
            "/domain",
            json!({"name": "-x", "adminUsers": ["user.admin"]}),
        )
        .await;
    assert_eq!(s, 400);
    assert!(msg(&v).contains("-x"), "{v}");
    let (s, v) = c
        .put(
            "/domain/shop/role/r",
            json!({"name": "shop:role.r", "roleMembers": [{"memberName": "not a member"}]}),
        )
        .await;
    assert_eq!(s, 400);
    assert!(msg(&v).contains("member name"), "{v}");
    // Malformed JSON, unknown fields, a name that does not match the path.
    let (s, v) = c
        .put_raw("/domain/shop/role/r", b"{\"name\":".to_vec(), None)
        .await;
    assert_eq!(s, 400, "{v}");
    let (s, v) = c
        .put(
            "/domain/shop/role/r",
            json!({"name": "shop:role.r", "bogus": true}),
        )
        .await;
    assert_eq!(s, 400);
    assert!(msg(&v).contains("bogus"), "{v}");
    let (s, v) = c
        .put("/domain/shop/role/r", json!({"name": "shop:role.other"}))
        .await;
    assert_eq!(s, 400);
    assert!(msg(&v).contains("does not match"), "{v}");
    // Oversized bodies.
    let huge = format!(
        "{{\"name\":\"shop:role.r\",\"description\":\"{}\"}}",
        "x".repeat(2 * 1024 * 1024)
    );
    let (s, v) = c
        .put_raw("/domain/shop/role/r", huge.into_bytes(), None)
        .await;
    assert_eq!(s, 413, "{v}");
    // Missing objects.
    assert_eq!(c.get("/domain/nope").await.0, 404);
    assert_eq!(c.get("/domain/shop/role/nope").await.0, 404);
    assert_eq!(c.get("/domain/shop/policy/nope/assertion/1").await.0, 404);
    assert_eq!(c.get("/domain/shop/policy/admin/assertion/x").await.0, 400);
    assert_eq!(
        c.delete("/domain/shop/role/admin/member/user.nobody")
            .await
            .0,
        404
    );
    assert_eq!(c.get("/no/such/endpoint").await.0, 404);

    // Nothing partly written: a role naming a missing group is refused as a whole.
    let before = c.get("/domain/shop/auditlog").await.1["entries"]
        .as_array()
        .unwrap()
        .len();
    let (s, v) = c.put("/domain/shop/role/g", json!({"name": "shop:role.g", "roleMembers": [{"memberName": "user.a"}, {"memberName": "shop:group.missing"}]})).await;
    assert_eq!(s, 400);
    assert!(msg(&v).contains("shop:group.missing"), "{v}");
    assert_eq!(c.get("/domain/shop/role/g").await.0, 404);
    let after = c.get("/domain/shop/auditlog").await.1["entries"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(before, after, "a refused write leaves no audit record");

    // Without a client certificate: 401 (status stays open).
    let anon = common::Client::new(&server.base, server.dir.path(), None);
    assert_eq!(anon.get("/domain").await.0, 401);
    assert_eq!(anon.get("/status").await.0, 200);

    // A principal without rights: 403, and nothing changes.
    let mallory = server.client_for("user.mallory");
    let (s, v) = mallory
        .put("/domain/shop/role/r", json!({"name": "shop:role.r"}))
        .await;
    assert_eq!(s, 403, "{v}");
    assert!(msg(&v).contains("user.mallory"), "{v}");
    assert_eq!(
        mallory
            .post(
                "/domain",
                json!({"name": "evil", "adminUsers": ["user.mallory"]})
            )
            .await
            .0,
        403
    );
    assert_eq!(mallory.delete("/domain/shop").await.0, 403);
    assert_eq!(c.get("/domain/shop/role/r").await.0, 404);
    // Reads are open to any authenticated principal.
    assert_eq!(mallory.get("/domain/shop").await.0, 200);

    // A domain admin (not a system admin) manages their domain, not the system attributes.
    let owner = server.client_for("user.owner");
    owner
        .ok_put(
            "/domain/shop/role/r",
            json!({"name": "shop:role.r", "roleMembers": [{"memberName": "user.x"}]}),
        )
        .await;
    owner
        .ok_put("/domain/shop/service/api", json!({"name": "shop.api"}))
        .await;
    let (s, _) = owner
        .put(
            "/domain/shop/meta/system/account",
            json!({"account": "123456789012"}),
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = owner
        .put(
            "/domain/shop/service/api/meta/system/providerendpoint",
            json!({"providerEndpoint": "https://p.example:4443"}),
        )
        .await;
    assert_eq!(s, 403);
    // A role the owner delegated to a domain the caller cannot see still needs update rights.
    assert_eq!(
        owner
            .put(
                "/domain/sys.auth/role/x",
                json!({"name": "sys.auth:role.x"})
            )
            .await
            .0,
        403
    );

    // The system admin can; plain meta cannot smuggle a system attribute in.
    c.ok_put(
        "/domain/shop/meta/system/account",
        json!({"account": "123456789012"}),
    )
    .await;
    c.ok_put(
        "/domain/shop/meta/system/certdnsdomain",
        json!({"certDnsDomain": "shop.example.com"}),
    )
    .await;
    owner
        .ok_put(
            "/domain/shop/meta",
            json!({"description": "the shop", "account": "999"}),
        )
        .await;
    let d = c.get("/domain/shop").await.1;
    assert_eq!(d["account"], "123456789012");
    assert_eq!(d["certDnsDomain"], "shop.example.com");
    assert_eq!(d["description"], "the shop");
    assert_eq!(
        c.get("/domain?account=123456789012").await.1["names"],
        json!(["shop"])
    );
    let (s, v) = c.put("/domain/shop/meta/system/bogus", json!({})).await;
    assert_eq!(s, 400);
    assert!(msg(&v).contains("bogus"), "{v}");

    // providerEndpoint is a system attribute.
    let (s, v) = owner
        .put(
            "/domain/shop/service/api",
            json!({"name": "shop.api", "providerEndpoint": "https://x"}),
        )
        .await;
    assert_eq!(s, 400);
    assert!(msg(&v).contains("providerEndpoint"), "{v}");
    let (s, _) = c
        .put(
            "/domain/shop/service/api/meta/system/providerendpoint",
            json!({"providerEndpoint": "ftp://x"}),
        )
        .await;
    assert_eq!(s, 400);
    c.ok_put(
        "/domain/shop/service/api/meta/system/providerendpoint",
        json!({"providerEndpoint": "https://provider.example:4443/"}),
    )
    .await;
    // A later plain update keeps it.
    owner
        .ok_put(
            "/domain/shop/service/api",
            json!({"name": "shop.api", "description": "api"}),
        )
        .await;
    let svc = c.get("/domain/shop/service/api").await.1;
    assert_eq!(svc["providerEndpoint"], "https://provider.example:4443/");
    assert_eq!(svc["description"], "api");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_and_authorization_sqlite() {
    bad_input_and_authorization(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_and_authorization_postgres() {
    bad_input_and_authorization(Backend::Postgres).await;
}

async fn audit_and_lifecycle(backend: Backend) {
    let server = Server::start(backend).await;
    let c = &server.admin;
    c.ok_post(
        "/domain",
        json!({"name": "corp", "adminUsers": ["user.admin"]}),
    )
    .await;
    c.ok_post(
        "/subdomain/corp",
        json!({"name": "team", "parent": "corp", "adminUsers": ["user.admin"]}),
    )
    .await;
    let (s, v) = c
        .post(
            "/subdomain/corp",
            json!({"name": "team", "parent": "corp", "adminUsers": ["user.admin"]}),
        )
        .await;
    assert_eq!(s, 409, "{v}");
    let (s, _) = c
        .post(
            "/subdomain/nope",
            json!({"name": "x", "parent": "nope", "adminUsers": ["user.admin"]}),
        )
        .await;
    assert_eq!(s, 404);

    // Every change records who, what and the Y-Audit-Ref.
    let body = serde_json::to_vec(
        &json!({"name": "corp:role.ops", "roleMembers": [{"memberName": "user.a"}]}),
    )
    .unwrap();
    let (s, _) = c
        .put_raw("/domain/corp/role/ops", body, Some("CHG-42"))
        .await;
    assert_eq!(s, 204);
    c.ok_put(
        "/domain/corp/role/ops/member/user.b",
        json!({"memberName": "user.b"}),
    )
    .await;
    let log = c.get("/domain/corp/auditlog").await.1;
    let entries = log["entries"].as_array().unwrap();
    assert_eq!(entries[0]["action"], "putMembership");
    assert_eq!(entries[1]["action"], "putRole");
    assert_eq!(entries[1]["auditRef"], "CHG-42");
    assert_eq!(entries[1]["principal"], "user.admin");
    assert_eq!(entries[1]["object"], "corp:role.ops");
    assert!(entries[1]["details"].as_str().unwrap().contains("user.a"));
    assert_eq!(
        c.get("/domain/corp/auditlog?limit=1").await.1["entries"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let role = c.get("/domain/corp/role/ops?auditLog=true").await.1;
    assert_eq!(role["auditLog"][0]["member"], "user.b");
    assert_eq!(role["auditLog"][0]["action"], "ADD");

    // Audit-enabled domains refuse changes without a reference, and write nothing.
    c.ok_put(
        "/domain/corp/meta/system/auditenabled",
        json!({"auditEnabled": true}),
    )
    .await;
    let (s, v) = c
        .put("/domain/corp/role/late", json!({"name": "corp:role.late"}))
        .await;
    assert_eq!(s, 400);
    assert!(msg(&v).contains("Y-Audit-Ref"), "{v}");
    assert_eq!(c.get("/domain/corp/role/late").await.0, 404);
    let body = serde_json::to_vec(&json!({"name": "corp:role.late"})).unwrap();
    assert_eq!(
        c.put_raw("/domain/corp/role/late", body, Some("CHG-43"))
            .await
            .0,
        204
    );

    // Lists.
    assert_eq!(
        c.get("/domain?prefix=corp").await.1["names"],
        json!(["corp", "corp.team"])
    );
    assert_eq!(
        c.get("/domain?prefix=corp&depth=0").await.1["names"],
        json!(["corp"])
    );
    assert_eq!(
        c.get("/domain/corp/role").await.1["names"],
        json!(["admin", "late", "ops"])
    );
    let roles = c.get("/domain/corp/roles?members=true").await.1;
    assert_eq!(roles["list"].as_array().unwrap().len(), 3);

    // A domain with subdomains cannot be deleted; the admin role and policy cannot either.
    assert_eq!(c.delete("/domain/corp/role/admin").await.0, 400);
    assert_eq!(c.delete("/domain/corp/policy/admin").await.0, 400);
    let (s, v) = c.delete("/domain/corp").await;
    assert_eq!(s, 400);
    assert!(msg(&v).contains("subdomain"), "{v}");
    assert_eq!(
        c.delete("/domain/corp.team").await.0,
        400,
        "subdomains go through /subdomain"
    );
    assert_eq!(c.delete("/subdomain/corp/team").await.0, 204);
    // corp is audit-enabled: deleting it needs a reference too.
    assert_eq!(c.delete("/domain/corp").await.0, 400);
    let r = c
        .http
        .delete(format!("{}/zms/v1/domain/corp", c.base))
        .header("Y-Audit-Ref", "CHG-44")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(c.get("/domain/corp").await.0, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_and_lifecycle_sqlite() {
    audit_and_lifecycle(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_and_lifecycle_postgres() {
    audit_and_lifecycle(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_groups_and_keys() {
    let server = Server::start(Backend::Sqlite).await;
    let c = &server.admin;
    c.ok_post(
        "/domain",
        json!({"name": "media", "adminUsers": ["user.admin"]}),
    )
    .await;
    let key = rcgen::KeyPair::generate().unwrap();
    let pem = key.public_key_pem();
    let y = model::ybase64::encode(pem.as_bytes());
    c.ok_put(
        "/domain/media/service/api",
        json!({"name": "media.api", "publicKeys": [{"id": "0", "key": y}]}),
    )
    .await;
    assert_eq!(
        c.get("/domain/media/service/api/publickey/0").await.1["key"],
        y.as_str()
    );
    let (s, v) = c
        .put(
            "/domain/media/service/api/publickey/1",
            json!({"id": "1", "key": "bm90IGEga2V5"}),
        )
        .await;
    assert_eq!(s, 400, "{v}");
    c.ok_put(
        "/domain/media/service/api/publickey/1",
        json!({"id": "1", "key": y}),
    )
    .await;
    assert_eq!(
        c.delete("/domain/media/service/api/publickey/0").await.0,
        204
    );
    assert_eq!(c.get("/domain/media/service/api/publickey/0").await.0, 404);
    assert_eq!(
        c.get("/domain/media/service").await.1["names"],
        json!(["api"])
    );

    // Groups: no nesting; a group held by a role cannot be deleted.
    c.ok_put(
        "/domain/media/group/g",
        json!({"name": "media:group.g", "groupMembers": [{"memberName": "user.a"}]}),
    )
    .await;
    let (s, _) = c
        .put(
            "/domain/media/group/h",
            json!({"name": "media:group.h", "groupMembers": [{"memberName": "media:group.g"}]}),
        )
        .await;
    assert_eq!(s, 400);
    c.ok_put(
        "/domain/media/role/r",
        json!({"name": "media:role.r", "roleMembers": [{"memberName": "media:group.g"}]}),
    )
    .await;
    let (s, v) = c.delete("/domain/media/group/g").await;
    assert_eq!(s, 400);
    assert!(msg(&v).contains("media:role.r"), "{v}");
    c.ok_put(
        "/domain/media/group/g/member/user.b",
        json!({"memberName": "user.b"}),
    )
    .await;
    assert_eq!(
        c.get("/domain/media/group/g/member/user.b").await.1["isMember"],
        true
    );
    // Membership through the group shows in the role's membership answer.
    assert_eq!(
        c.get("/domain/media/role/r/member/user.b").await.1["isMember"],
        true
    );
    assert_eq!(
        c.get("/domain/media/role/r/member/user.z").await.1["isMember"],
        false
    );
    // Delegated roles take no members.
    c.ok_post(
        "/domain",
        json!({"name": "other", "adminUsers": ["user.admin"]}),
    )
    .await;
    c.ok_put(
        "/domain/media/role/d",
        json!({"name": "media:role.d", "trust": "other"}),
    )
    .await;
    assert_eq!(
        c.put(
            "/domain/media/role/d/member/user.a",
            json!({"memberName": "user.a"})
        )
        .await
        .0,
        400
    );
    assert_eq!(
        c.put(
            "/domain/media/role/e",
            json!({"name": "media:role.e", "trust": "media"})
        )
        .await
        .0,
        400
    );
    assert_eq!(
        c.put(
            "/domain/media/role/e",
            json!({"name": "media:role.e", "trust": "missing"})
        )
        .await
        .0,
        400
    );
    // Assertions: a resource without a domain prefix is refused.
    let (s, v) = c.put("/domain/media/policy/p", json!({"name": "media:policy.p", "assertions": [{"role": "r", "action": "read", "resource": "nodomain"}]})).await;
    assert_eq!(s, 400);
    assert!(msg(&v).contains("resource"), "{v}");
    c.ok_put("/domain/media/policy/p", json!({"name": "media:policy.p", "assertions": [{"role": "r", "action": "READ", "resource": "media:Stuff"}]})).await;
    let p = c.get("/domain/media/policy/p").await.1;
    assert_eq!(
        p["assertions"][0]["role"], "media:role.r",
        "short role names are qualified"
    );
    assert_eq!(p["assertions"][0]["action"], "read", "lowercased");
}
