//! The data set: tenant domains, their preload into the store, and the request mix.

use super::*;

pub(crate) fn domain_name(i: usize) -> String {
    format!("benchd{i:05}")
}

pub(crate) fn member(text: &str) -> Result<RoleMember> {
    Ok(RoleMember::new(MemberName::parse(text)?))
}

pub(crate) fn allow(role: String, action: &str, resource: String) -> Assertion {
    Assertion {
        role,
        resource,
        action: action.to_string(),
        effect: Some(AssertionEffect::Allow),
        id: None,
        case_sensitive: None,
    }
}

/// Tenant domain `i` of `n`: the admin role and policy every domain gets, plus
/// - `readers`: 20 users `user.u0`..`user.u19`; `blocked`: `user.u3`;
/// - `writers`: the wildcard `benchdNNNNN.*` (every service of the domain);
/// - `ops`: the group `benchdNNNNN:group.oncall` (`user.o0`..`user.o4`);
/// - `delegated`: no members, `trust` = the next domain, whose `trust` policy lets its
///   `partners` (`user.p0`..`user.p4`) assume this domain's `delegated` role;
/// - policy `app`: read/write on `articles.*`, a DENY of `articles.secret*` for `blocked`, deploy
///   on `ops.*`, manage on `delegated.*`, a role glob `role.read*` and a `?` glob.
pub(crate) fn tenant_doc(i: usize, n: usize, now: Timestamp) -> Result<DomainDoc> {
    let d = domain_name(i);
    let next = domain_name((i + 1) % n);
    let prev = domain_name((i + n - 1) % n);
    let admin = MemberName::parse(zms::dev::ADMIN_PRINCIPAL)?;
    let mut doc = DomainDoc::new(&d, Domain::default(), &[admin], now);
    let role_name = |r: &str| format!("{d}:role.{r}");
    let mut add_role = |name: &str, members: Vec<RoleMember>, trust: Option<String>| {
        let full = role_name(name);
        doc.roles.insert(
            full.clone(),
            Role {
                name: full,
                modified: Some(now),
                role_members: Some(members),
                trust,
                ..Role::default()
            },
        );
    };
    let readers = (0..20)
        .map(|u| member(&format!("user.u{u}")))
        .collect::<Result<Vec<_>>>()?;
    add_role("readers", readers, None);
    add_role("blocked", vec![member("user.u3")?], None);
    add_role("writers", vec![member(&format!("{d}.*"))?], None);
    add_role("ops", vec![member(&format!("{d}:group.oncall"))?], None);
    add_role("delegated", Vec::new(), Some(next));
    let partners = (0..5)
        .map(|u| member(&format!("user.p{u}")))
        .collect::<Result<Vec<_>>>()?;
    add_role("partners", partners, None);

    let group = format!("{d}:group.oncall");
    let group_members = (0..5)
        .map(|u| {
            Ok(GroupMember {
                member_name: MemberName::parse(&format!("user.o{u}"))?,
                group_name: None,
                expiration: None,
                active: None,
                approved: None,
                audit_ref: None,
                system_disabled: None,
                principal_type: None,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    doc.groups.insert(
        group.clone(),
        Group {
            name: group,
            modified: Some(now),
            group_members: Some(group_members),
            ..Group::default()
        },
    );

    let app = format!("{d}:policy.app");
    let trust = format!("{d}:policy.trust");
    for p in [&app, &trust] {
        doc.policies.insert(
            p.clone(),
            Policy {
                name: p.clone(),
                modified: Some(now),
                ..Policy::default()
            },
        );
    }
    let app_assertions = [
        allow(role_name("readers"), "read", format!("{d}:articles.*")),
        allow(role_name("writers"), "write", format!("{d}:articles.*")),
        Assertion {
            effect: Some(AssertionEffect::Deny),
            ..allow(
                role_name("blocked"),
                "read",
                format!("{d}:articles.secret*"),
            )
        },
        allow(role_name("ops"), "deploy", format!("{d}:ops.*")),
        allow(role_name("delegated"), "manage", format!("{d}:delegated.*")),
        allow(role_name("read*"), "list", format!("{d}:public.*")),
        allow(role_name("writers"), "read", format!("{d}:reports.????")),
    ];
    for a in app_assertions {
        doc.add_assertion(&app, a);
    }
    doc.add_assertion(
        &trust,
        allow(
            role_name("partners"),
            "assume_role",
            format!("{prev}:role.delegated"),
        ),
    );
    Ok(doc)
}

/// Inserts the documents in batches of `batch` per transaction.
pub(crate) async fn preload(dir: &Path, docs: &[DomainDoc], batch: usize) -> Result<()> {
    let url = format!("sqlite:{}", dir.join("zms.db").display());
    let store: Arc<dyn Store> = zms_store::open(&url)
        .await
        .with_context(|| format!("opening {url}"))?;
    if let Some(first) = docs.first() {
        ensure!(
            store.get(first.name()).await?.is_none(),
            "{url} already holds bench domains; give a fresh --state-dir"
        );
    }
    for chunk in docs.chunks(batch) {
        let ops = chunk
            .iter()
            .map(|d| {
                Ok(Op::Put {
                    name: d.name().to_string(),
                    expected_version: None,
                    modified_ms: d.domain.modified.unwrap_or_default().millis(),
                    document: serde_json::to_string(d)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        store.commit(&ops, &[]).await?;
    }
    Ok(())
}

/// The request kinds of the mix, with the decision each must get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Direct,
    Wildcard,
    Group,
    Deny,
    NoMatch,
    Delegated,
}

impl Kind {
    const ALL: [Kind; 6] = [
        Kind::Direct,
        Kind::Wildcard,
        Kind::Group,
        Kind::Deny,
        Kind::NoMatch,
        Kind::Delegated,
    ];

    pub(crate) fn expected(self) -> bool {
        !matches!(self, Kind::Deny | Kind::NoMatch)
    }

    /// (principal, action, resource) in domain `d`.
    pub(crate) fn request(self, d: &str) -> (String, &'static str, String) {
        match self {
            Kind::Direct => ("user.u7".into(), "read", format!("{d}:articles.x")),
            Kind::Wildcard => (format!("{d}.api"), "write", format!("{d}:articles.x")),
            Kind::Group => ("user.o2".into(), "deploy", format!("{d}:ops.x")),
            Kind::Deny => ("user.u3".into(), "read", format!("{d}:articles.secret1")),
            Kind::NoMatch => ("user.u7".into(), "write", format!("{d}:articles.x")),
            Kind::Delegated => ("user.p1".into(), "manage", format!("{d}:delegated.x")),
        }
    }
}

/// One request of the mix.
pub(crate) struct Check {
    pub(crate) kind: Kind,
    pub(crate) principal: String,
    pub(crate) action: &'static str,
    pub(crate) resource: String,
    pub(crate) path: String,
}

/// `len` requests, kinds in rotation, each on a pseudo-random domain (fixed seed).
pub(crate) fn workload(domains: usize, len: usize) -> Vec<Check> {
    let mut rng = SplitMix64(0x5eed_2024_a7e2);
    (0..len)
        .map(|i| {
            let kind = Kind::ALL[i % Kind::ALL.len()];
            let d = domain_name((rng.next() % domains as u64) as usize);
            let (principal, action, resource) = kind.request(&d);
            let path = format!("/zms/v1/access/{action}/{resource}?principal={principal}");
            Check {
                kind,
                principal,
                action,
                resource,
                path,
            }
        })
        .collect()
}

/// SplitMix64, enough for picking domains.
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

pub(crate) fn access_request(c: &Check) -> AccessRequest<'_> {
    AccessRequest {
        principal: &c.principal,
        action: c.action,
        resource: &c.resource,
        trust_domain: None,
    }
}

pub(crate) fn verify_evaluator(
    world: &HashMap<String, Arc<CompiledDomain>>,
    mix: &[Check],
) -> Result<()> {
    let now = Timestamp::now();
    for c in mix {
        let got = model::access::check(world, &access_request(c), now)
            .with_context(|| format!("evaluating {}", c.path))?;
        ensure!(
            got == c.kind.expected(),
            "evaluator: {:?} request {} gave granted={got}, expected {}",
            c.kind,
            c.path,
            c.kind.expected()
        );
    }
    Ok(())
}

/// Every kind, on several domains, answers 200 with the expected `granted` (parsed as JSON).
pub(crate) async fn verify_http(conn: &mut Conn, mix: &[Check]) -> Result<()> {
    for c in mix.iter().take(Kind::ALL.len() * 20) {
        let (status, body) = conn.get(&c.path).await?;
        let text = String::from_utf8_lossy(&body);
        ensure!(status == 200, "GET {}: status {status}: {text}", c.path);
        let v: serde_json::Value =
            serde_json::from_slice(&body).with_context(|| format!("GET {}: {text}", c.path))?;
        let granted = v.get("granted").and_then(serde_json::Value::as_bool);
        ensure!(
            granted == Some(c.kind.expected()),
            "GET {} ({:?}): got {text}, expected granted={}",
            c.path,
            c.kind,
            c.kind.expected()
        );
    }
    Ok(())
}
