//! End to end: `zms-cli` against a real `zms-server --dev` (started per test in a temporary
//! state directory, on a free port).

mod common;

use common::Server;
use serde_json::Value;

/// Whether some line of `text` reads `words` (compared with whitespace collapsed).
fn has_line(text: &str, words: &str) -> bool {
    text.lines()
        .any(|l| l.split_whitespace().collect::<Vec<_>>().join(" ") == words)
}

fn names(list: &Value, field: &str) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not an array: {list}"))
        .iter()
        .map(|v| v[field].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn domains_roles_groups_policies_and_access_checks() {
    let server = Server::start();
    let zms = server.admin();

    assert_eq!(
        zms.ok(&["add-domain", "e2e", "--admin", "user.admin"]),
        "added domain e2e\n"
    );
    assert_eq!(
        zms.ok(&["add-domain", "e2e.sub", "--admin", "user.admin"]),
        "added domain e2e.sub\n"
    );
    zms.ok(&["add-domain", "partner", "--admin", "user.admin"]);
    assert_eq!(
        zms.ok(&["list-domains", "--prefix", "e2e"]),
        "e2e\ne2e.sub\n"
    );
    let listed = zms.json(&["list-domains"]);
    assert!(
        listed["names"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n == "partner"),
        "{listed}"
    );

    // Roles: direct members, a group, a wildcard, a delegation.
    zms.ok(&["add-role", "e2e", "readers", "user.joe", "user.jane"]);
    zms.ok(&["add-group", "e2e", "devs", "user.dev1"]);
    zms.ok(&["add-group-member", "e2e", "devs", "user.dev2"]);
    zms.ok(&["add-role", "e2e", "writers", "e2e:group.devs"]);
    zms.ok(&["add-role", "e2e", "everyone", "user.*"]);
    zms.ok(&["add-delegated-role", "e2e", "partners", "partner"]);
    zms.ok(&["add-role", "partner", "staff", "user.pat"]);
    zms.ok(&[
        "add-policy",
        "partner",
        "trust",
        "--assertion",
        "grant assume_role to staff on e2e:role.partners",
    ]);

    // Policies: grant and deny in one add-policy, more through add-assertion.
    zms.ok(&[
        "add-policy",
        "e2e",
        "articles",
        "--assertion",
        "grant read to readers on articles.*",
        "--assertion",
        "deny read to readers on articles.secret",
    ]);
    let id: i64 = zms
        .ok(&[
            "add-assertion",
            "e2e",
            "articles",
            "grant",
            "write",
            "to",
            "writers",
            "on",
            "articles.*",
        ])
        .trim()
        .parse()
        .expect("add-assertion prints the id");
    zms.ok(&[
        "add-assertion",
        "e2e",
        "articles",
        "grant view to everyone on public.*",
    ]);
    zms.ok(&[
        "add-assertion",
        "e2e",
        "articles",
        "grant",
        "read",
        "to",
        "partners",
        "on",
        "reports",
    ]);

    let policy = zms.json(&["show-policy", "e2e", "articles"]);
    assert_eq!(policy["name"], "e2e:policy.articles");
    let assertions = policy["assertions"].as_array().unwrap();
    assert_eq!(assertions.len(), 5, "{policy}");
    let added = assertions
        .iter()
        .find(|a| a["id"] == id)
        .unwrap_or_else(|| panic!("no id {id}: {policy}"));
    assert_eq!(added["role"], "e2e:role.writers");
    assert_eq!(added["resource"], "e2e:articles.*");
    assert!(
        assertions
            .iter()
            .any(|a| a["effect"] == "DENY" && a["resource"] == "e2e:articles.secret")
    );
    let text = zms.ok(&["show-policy", "e2e", "articles"]);
    assert!(
        text.contains("deny read to readers on articles.secret"),
        "{text}"
    );
    assert!(
        has_line(&text, &format!("{id} grant write to writers on articles.*")),
        "{text}"
    );

    let role = zms.json(&["show-role", "e2e", "readers"]);
    assert_eq!(
        names(&role["roleMembers"], "memberName"),
        ["user.joe", "user.jane"]
    );
    let text = zms.ok(&["show-role", "e2e", "partners"]);
    assert!(has_line(&text, "trust partner"), "{text}");

    // Access checks.
    assert!(
        zms.granted("read", "e2e:articles.news", "user.joe"),
        "direct member"
    );
    assert!(
        zms.granted("write", "e2e:articles.news", "user.dev2"),
        "group member"
    );
    assert!(
        !zms.granted("read", "e2e:articles.secret", "user.joe"),
        "deny overrides grant"
    );
    assert!(
        zms.granted("view", "e2e:public.page", "user.random"),
        "wildcard member and resource"
    );
    assert!(
        zms.granted("read", "e2e:reports", "user.pat"),
        "delegated role"
    );
    assert!(
        !zms.granted("write", "e2e:articles.news", "user.joe"),
        "not a member"
    );
    assert!(
        !zms.granted("read", "e2e:reports", "user.joe"),
        "not a member of the trusted role"
    );
    let assume = [
        "check-access",
        "assume_role",
        "e2e:role.partners",
        "--principal",
        "user.pat",
    ];
    assert_eq!(
        zms.ok(&[&assume[..], &["--trust-domain", "partner"]].concat()),
        "granted\n"
    );
    assert_eq!(
        zms.json(&[
            "check-access",
            "write",
            "e2e:articles.news",
            "--principal",
            "user.joe"
        ]),
        serde_json::json!({"granted": false})
    );
    assert_eq!(
        zms.ok(&["check-access", "read", "e2e:articles.news"]),
        "granted\n",
        "the caller, user.admin"
    );

    // Membership changes flip decisions.
    assert_eq!(
        zms.ok(&["delete-member", "e2e", "readers", "user.joe"]),
        "deleted user.joe from e2e:role.readers\n"
    );
    assert!(
        !zms.granted("read", "e2e:articles.news", "user.joe"),
        "after delete-member"
    );
    zms.ok(&[
        "add-member",
        "e2e",
        "readers",
        "user.old",
        "--expiration",
        "2001-01-01T00:00:00Z",
    ]);
    zms.ok(&[
        "add-member",
        "e2e",
        "readers",
        "user.new",
        "--expiration",
        "2099-01-01T00:00:00Z",
    ]);
    assert!(
        !zms.granted("read", "e2e:articles.news", "user.old"),
        "expired membership"
    );
    assert!(
        zms.granted("read", "e2e:articles.news", "user.new"),
        "membership not yet expired"
    );
    zms.ok(&["delete-group-member", "e2e", "devs", "user.dev2"]);
    assert!(
        !zms.granted("write", "e2e:articles.news", "user.dev2"),
        "after delete-group-member"
    );
    let group = zms.json(&["show-group", "e2e", "devs"]);
    assert_eq!(names(&group["groupMembers"], "memberName"), ["user.dev1"]);

    // show-domain, both forms.
    let text = zms.ok(&["show-domain", "e2e"]);
    for needle in [
        "domain",
        "ROLES",
        "GROUPS",
        "POLICIES",
        "SERVICES",
        "partners",
        "devs",
        "user.jane",
        "articles.secret",
    ] {
        assert!(text.contains(needle), "{needle} missing:\n{text}");
    }
    let all = zms.json(&["show-domain", "e2e"]);
    assert_eq!(all["domain"]["name"], "e2e");
    let roles = &all["roles"];
    assert!(
        names(roles, "name").contains(&"e2e:role.partners".to_string()),
        "{all}"
    );
    let partners = roles
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "e2e:role.partners")
        .unwrap();
    assert_eq!(partners["trust"], "partner");
    assert!(names(&all["policies"], "name").contains(&"e2e:policy.articles".to_string()));
    assert_eq!(names(&all["groups"], "name"), ["e2e:group.devs"]);

    // The audit log records the changes, with the audit reference.
    zms.ok(&[
        "--audit-ref",
        "ticket-42",
        "add-member",
        "e2e",
        "readers",
        "user.audited",
    ]);
    let log = zms.ok(&["audit-log", "e2e"]);
    for action in [
        "putRole",
        "putGroup",
        "putPolicy",
        "putAssertion",
        "putMembership",
        "deleteMembership",
    ] {
        assert!(log.contains(action), "{action} missing:\n{log}");
    }
    let entries = zms.json(&["audit-log", "e2e", "--limit", "1"]);
    let entries = entries["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["auditRef"], "ticket-42");
    assert_eq!(entries[0]["action"], "putMembership");

    // Deletes.
    let (code, err) = zms.fail(&["delete-group", "e2e", "devs"]);
    assert_eq!(code, 1);
    assert!(
        err.starts_with("zms-cli: 400 ") && err.contains("e2e:role.writers"),
        "{err}"
    );
    zms.ok(&["delete-role", "e2e", "writers"]);
    zms.ok(&["delete-group", "e2e", "devs"]);
    zms.ok(&["delete-policy", "e2e", "articles"]);
    assert!(
        !zms.granted("view", "e2e:public.page", "user.random"),
        "policy deleted"
    );
    assert_eq!(
        zms.ok(&["delete-domain", "e2e.sub"]),
        "deleted domain e2e.sub\n"
    );
    zms.ok(&["delete-domain", "e2e"]);
    assert_eq!(zms.ok(&["list-domains", "--prefix", "e2e"]), "");
    let (code, err) = zms.fail(&["show-domain", "e2e"]);
    assert_eq!(code, 1);
    assert!(err.starts_with("zms-cli: 404 "), "{err}");
}

#[test]
fn services_public_keys_and_system_meta() {
    let server = Server::start();
    let zms = server.admin();
    zms.ok(&["add-domain", "svc", "--admin", "user.admin"]);

    let dir = tempfile::tempdir().unwrap();
    let (k1, k2) = (
        rcgen::KeyPair::generate().unwrap(),
        rcgen::KeyPair::generate().unwrap(),
    );
    let (p1, p2) = (dir.path().join("k1.pub.pem"), dir.path().join("k2.pub.pem"));
    std::fs::write(&p1, k1.public_key_pem()).unwrap();
    std::fs::write(&p2, k2.public_key_pem()).unwrap();
    let (p1s, p2s) = (p1.to_str().unwrap(), p2.to_str().unwrap());

    assert_eq!(
        zms.ok(&[
            "add-service",
            "svc",
            "api",
            "--key-id",
            "k1",
            "--public-key",
            p1s
        ]),
        "added service svc.api\n"
    );
    zms.ok(&["add-public-key", "svc", "api", "k2", p2s]);
    zms.ok(&[
        "set-provider-endpoint",
        "svc",
        "api",
        "https://provider.example.com:4443/callback",
    ]);
    zms.ok(&["add-service", "svc", "plain"]);

    let svc = zms.json(&["show-service", "svc", "api"]);
    assert_eq!(svc["name"], "svc.api");
    assert_eq!(
        svc["providerEndpoint"],
        "https://provider.example.com:4443/callback"
    );
    assert_eq!(names(&svc["publicKeys"], "id"), ["k1", "k2"]);
    let y1 = model::ybase64::encode(k1.public_key_pem().as_bytes());
    assert_eq!(
        svc["publicKeys"][0]["key"],
        y1.as_str(),
        "the key is sent ybase64-encoded"
    );

    let text = zms.ok(&["show-service", "svc", "api"]);
    assert!(
        text.contains("k1,k2") && text.contains("https://provider.example.com:4443/callback"),
        "{text}"
    );
    assert!(
        !text.contains(&y1[..24]),
        "tables never show key material:\n{text}"
    );
    let text = zms.ok(&["show-domain", "svc"]);
    assert!(
        text.contains("plain") && text.contains("k1,k2") && !text.contains(&y1[..24]),
        "{text}"
    );

    // A private key is refused locally and never echoed.
    let private = dir.path().join("k1.key.pem");
    std::fs::write(&private, k1.serialize_pem()).unwrap();
    let (code, err) = zms.fail(&[
        "add-public-key",
        "svc",
        "api",
        "k3",
        private.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("private key") && !err.contains("BEGIN"),
        "{err}"
    );

    let (code, err) = zms.fail(&[
        "set-provider-endpoint",
        "svc",
        "api",
        "http://plain.example.com",
    ]);
    assert_eq!(code, 1);
    assert!(
        err.starts_with("zms-cli: 400 ") && err.contains("providerEndpoint"),
        "{err}"
    );

    // Domain system attributes.
    assert_eq!(
        zms.ok(&["set-domain-system-meta", "svc", "account", "123456789012"]),
        "set account of domain svc\n"
    );
    zms.ok(&[
        "set-domain-system-meta",
        "svc",
        "certdnsdomain",
        "example.com",
    ]);
    zms.ok(&["set-domain-system-meta", "svc", "ypmid", "42"]);
    let d = zms.json(&["show-domain", "svc"]);
    assert_eq!(d["domain"]["account"], "123456789012");
    assert_eq!(d["domain"]["certDnsDomain"], "example.com");
    assert_eq!(d["domain"]["ypmId"], 42);
    assert_eq!(names(&d["services"], "name"), ["svc.api", "svc.plain"]);
    let (code, err) = zms.fail(&["set-domain-system-meta", "svc", "ypmid", "many"]);
    assert_eq!((code, err.contains("not a number")), (2, true), "{err}");

    assert_eq!(
        zms.ok(&["delete-service", "svc", "api"]),
        "deleted service svc.api\n"
    );
    let (code, err) = zms.fail(&["show-service", "svc", "api"]);
    assert_eq!(code, 1);
    assert!(
        err.starts_with("zms-cli: 404 ") && err.contains("svc.api"),
        "{err}"
    );
    zms.ok(&["delete-domain", "svc"]);
}

#[test]
fn errors_carry_the_server_message_and_exit_codes() {
    let server = Server::start();
    let zms = server.admin();
    zms.ok(&["add-domain", "errs", "--admin", "user.admin"]);

    // Bad names are refused by the server with its message.
    let (code, err) = zms.fail(&["add-domain", "bad name!", "--admin", "user.admin"]);
    assert_eq!(code, 1);
    assert!(
        err.starts_with("zms-cli: 400 ") && err.contains("bad name!"),
        "{err}"
    );
    let (code, err) = zms.fail(&["add-role", "errs", "bad..role"]);
    assert_eq!(code, 1);
    assert!(
        err.starts_with("zms-cli: 400 ") && err.contains("bad..role"),
        "{err}"
    );

    // Missing objects: 404 with the server's message.
    let (code, err) = zms.fail(&["show-role", "errs", "nope"]);
    assert_eq!(
        (code, err.trim()),
        (1, "zms-cli: 404 role not found: errs:role.nope")
    );
    let (code, err) = zms.fail(&["add-member", "errs", "nope", "user.x"]);
    assert_eq!(code, 1);
    assert!(err.starts_with("zms-cli: 404 "), "{err}");
    let (code, err) = zms.fail(&[
        "check-access",
        "read",
        "nosuchdomain:x",
        "--principal",
        "user.x",
    ]);
    assert_eq!(code, 1);
    assert!(err.starts_with("zms-cli: 404 "), "{err}");

    // No permission: another principal may not change the domain.
    let mallory = server.user("user.mallory");
    let (code, err) = mallory.fail(&["add-role", "errs", "sneaky", "user.mallory"]);
    assert_eq!(code, 1);
    assert!(err.starts_with("zms-cli: 403 "), "{err}");
    assert_eq!(
        mallory.ok(&["check-access", "read", "errs:anything"]),
        "denied\n"
    );

    // No client certificate: 401.
    let anonymous = common::Cli {
        identity: None,
        ..zms.clone()
    };
    let (code, err) = anonymous.fail(&["show-domain", "errs"]);
    assert_eq!(code, 1);
    assert!(err.starts_with("zms-cli: 401 "), "{err}");

    // Local usage errors: exit 2, nothing sent.
    let (code, err) = zms.fail(&[
        "add-policy",
        "errs",
        "p",
        "--assertion",
        "grant read readers",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("grant|deny ACTION to ROLE on RESOURCE"),
        "{err}"
    );
    let (code, err) = zms.fail(&["add-role", "errs", "r", "not-a-principal"]);
    assert_eq!(code, 2);
    assert!(err.contains("not-a-principal"), "{err}");
    let (code, _) = zms.fail(&[
        "add-member",
        "errs",
        "admin",
        "user.x",
        "--expiration",
        "tomorrow",
    ]);
    assert_eq!(code, 2);
    let (code, _) = zms.fail(&["add-domain", "noadmin"]);
    assert_eq!(code, 2, "clap usage error");

    // Connection problems: exit 2.
    let untrusted = common::Cli {
        ca: None,
        ..zms.clone()
    };
    let (code, err) = untrusted.fail(&["list-domains"]);
    assert_eq!(code, 2, "{err}");
    let closed = common::Cli {
        url: "https://127.0.0.1:1".into(),
        ..zms.clone()
    };
    let (code, err) = closed.fail(&["list-domains"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.starts_with("zms-cli: https://127.0.0.1:1/zms/v1/domain"),
        "{err}"
    );
}
