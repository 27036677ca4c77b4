//! regorus (Rego): the set as data (principal → roles, role → ALLOW rules, role → DENY rules)
//! and one policy that walks only the principal's roles, as Rego's users index RBAC data.
//!
//! Resources match with `glob.match(pattern, null, resource)`: with `null` delimiters `*`
//! crosses every character (`/`, `.` and `:` included) and `?` is one character, Athenz's
//! glob. Actions are a name or `*` in the generated set, so they compare directly.
//! regorus caches compiled globs in an LRU (128 by default); it is sized to hold every
//! pattern of the set, else each decision would recompile most of them.

use super::Engine;
use crate::corpus::Request;
use crate::policy::{Effect, PolicySet};
use anyhow::{Result, bail};
use regorus::{Engine as Rego, Value};
use serde_json::{Map, Value as Json, json};
use std::collections::HashSet;

const POLICY: &str = r#"
package bench

import rego.v1

default allow := false

roles := data.rbac.principals[input.principal]

action_ok(a) if a == "*"

action_ok(a) if a == input.action

denied if {
	some role in roles
	some rule in data.rbac.deny[role]
	action_ok(rule.action)
	glob.match(rule.resource, null, input.resource)
}

allow if {
	not denied
	some role in roles
	some rule in data.rbac.allow[role]
	action_ok(rule.action)
	glob.match(rule.resource, null, input.resource)
}
"#;

/// regorus with the policy and the data loaded.
pub struct Regorus {
    engine: Rego,
    rule: String,
}

impl Regorus {
    /// Loads the policy and the set as data; sizes the glob cache.
    pub fn build(set: &PolicySet) -> Result<Self> {
        let patterns: HashSet<&str> = set.rules.iter().map(|r| r.resource.as_str()).collect();
        regorus::cache::configure(regorus::cache::Config {
            regex: 256,
            glob: (patterns.len() * 2).min(regorus::cache::Config::MAX_CAPACITY),
        });
        let mut allow = Map::new();
        let mut deny = Map::new();
        for (role, rules) in set.roles.iter().zip(&set.rules_of_role) {
            let of = |effect: Effect| -> Json {
                rules
                    .iter()
                    .map(|&i| &set.rules[i])
                    .filter(|r| r.effect == effect)
                    .map(|r| json!({"action": r.action, "resource": r.resource}))
                    .collect()
            };
            allow.insert(role.clone(), of(Effect::Allow));
            deny.insert(role.clone(), of(Effect::Deny));
        }
        let principals: Map<String, Json> = set
            .principals
            .iter()
            .map(|(name, roles)| {
                let roles: Vec<&str> = roles.iter().map(|&r| set.roles[r].as_str()).collect();
                (name.clone(), json!(roles))
            })
            .collect();
        let data = json!({"rbac": {"principals": principals, "allow": allow, "deny": deny}});
        let mut engine = Rego::new();
        engine.add_policy("bench.rego".to_string(), POLICY.to_string())?;
        engine.add_data(Value::from(data))?;
        Ok(Self {
            engine,
            rule: "data.bench.allow".to_string(),
        })
    }
}

impl Engine for Regorus {
    fn decide(&mut self, request: &Request) -> Result<bool> {
        let mut input = Value::new_object();
        let object = input.as_object_mut()?;
        object.insert(
            Value::from("principal"),
            Value::from(request.principal.as_str()),
        );
        object.insert(Value::from("action"), Value::from(request.action.as_str()));
        object.insert(
            Value::from("resource"),
            Value::from(request.resource.as_str()),
        );
        self.engine.set_input(input);
        match self.engine.eval_rule(self.rule.clone())? {
            Value::Bool(b) => Ok(b),
            other => bail!("data.bench.allow is {other:?}"),
        }
    }
}
