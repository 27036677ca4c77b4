//! casbin: an RBAC model with `g` role grouping (user → role), one `p` row per assertion
//! `(role, action, resource, allow|deny)` loaded into the in-memory adapter, and the deny
//! effect `some(where (p.eft == allow)) && !some(where (p.eft == deny))`.
//!
//! casbin's `globMatch` does not let `*` cross `/`, so the matcher calls `athenzMatch`, a
//! custom function with Athenz semantics (anchored, `*` crosses everything, `?` one
//! character), for both the action and the resource.

use super::{Engine, athenz_glob};
use crate::corpus::Request;
use crate::policy::{Effect, PolicySet};
use anyhow::{Result, ensure};
use casbin::function_map::OperatorFunction;
use casbin::rhai::Dynamic;
use casbin::{CoreApi, DefaultModel, Enforcer, MemoryAdapter, MgmtApi};

const MODEL: &str = r#"
[request_definition]
r = sub, act, obj

[policy_definition]
p = sub, act, obj, eft

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = g(r.sub, p.sub) && athenzMatch(r.act, p.act) && athenzMatch(r.obj, p.obj)
"#;

/// casbin's enforcer with the generated set.
pub struct Casbin {
    enforcer: Enforcer,
}

/// `athenzMatch(value, pattern)`.
fn athenz_match(value: Dynamic, pattern: Dynamic) -> Dynamic {
    match (
        value.into_immutable_string(),
        pattern.into_immutable_string(),
    ) {
        (Ok(v), Ok(p)) => Dynamic::from_bool(athenz_glob(p.as_str(), v.as_str())),
        _ => Dynamic::from_bool(false),
    }
}

impl Casbin {
    /// Builds the enforcer (casbin's setup API is async; a current-thread runtime drives it).
    pub fn build(set: &PolicySet) -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread().build()?;
        let enforcer = runtime.block_on(async {
            let model = DefaultModel::from_str(MODEL).await?;
            let mut enforcer = Enforcer::new(model, MemoryAdapter::default()).await?;
            enforcer.add_function("athenzMatch", OperatorFunction::Arg2(athenz_match));
            let rules: Vec<Vec<String>> = set
                .rules
                .iter()
                .map(|r| {
                    let eft = match r.effect {
                        Effect::Allow => "allow",
                        Effect::Deny => "deny",
                    };
                    vec![
                        set.roles[r.role].clone(),
                        r.action.clone(),
                        r.resource.clone(),
                        eft.to_string(),
                    ]
                })
                .collect();
            let added = enforcer.add_policies(rules).await?;
            ensure!(added, "casbin refused the policy rows");
            let links: Vec<Vec<String>> = set
                .principals
                .iter()
                .flat_map(|(name, roles)| {
                    roles
                        .iter()
                        .map(|&r| vec![name.clone(), set.roles[r].clone()])
                })
                .collect();
            let added = enforcer.add_grouping_policies(links).await?;
            ensure!(added, "casbin refused the role links");
            Ok::<_, anyhow::Error>(enforcer)
        })?;
        Ok(Self { enforcer })
    }
}

impl Engine for Casbin {
    fn decide(&mut self, request: &Request) -> Result<bool> {
        Ok(self.enforcer.enforce((
            request.principal.as_str(),
            request.action.as_str(),
            request.resource.as_str(),
        ))?)
    }
}
