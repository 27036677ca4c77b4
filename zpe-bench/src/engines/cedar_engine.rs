//! cedar-policy: each assertion becomes one policy,
//! `permit|forbid (principal in Role::"r", action == Action::"a", resource)
//!  when { context.resource like "…" };`
//! with users as entities whose parents are their roles. Forbid overrides permit and nothing
//! matching is a deny, which is Athenz's rule.
//!
//! `like` has `*` (any run, crossing every character) but no `?`. Since resources use only
//! [`ALPHABET`], a `?` is written exactly as a choice among those characters:
//! `docs.v?.page3` → `like "docs.va.page3" || like "docs.vb.page3" || …` (41 alternatives).
//!
//! Two forms: [`CedarFull`], one `PolicySet` with every policy (Cedar as is), and
//! [`CedarSliced`], a `PolicySet` per principal holding only its roles' policies, built before
//! timing (what Cedar's users do at this size).

use super::Engine;
use crate::corpus::Request;
use crate::policy::{ALPHABET, Effect, PolicySet, Rule};
use anyhow::{Context as _, Result, bail};
use cedar_policy::{
    Authorizer, Context, Decision, Entities, Entity, EntityId, EntityTypeName, EntityUid, Policy,
    PolicyId, PolicySet as CedarSet, Request as CedarRequest, RestrictedExpression,
};
use rustc_hash::FxHashMap;
use std::collections::HashSet;
use std::rc::Rc;
use std::str::FromStr;

/// What both forms share: entities, uids and the authorizer.
pub struct Common {
    authorizer: Authorizer,
    entities: Entities,
    user_type: EntityTypeName,
    actions: FxHashMap<String, EntityUid>,
    resource: EntityUid,
    /// The policies of each role.
    by_role: Vec<Vec<Policy>>,
}

/// Cedar as is: one policy set with every policy.
pub struct CedarFull {
    common: Rc<Common>,
    policies: CedarSet,
}

/// Cedar sliced: per principal, only its roles' policies.
pub struct CedarSliced {
    common: Rc<Common>,
    slices: FxHashMap<String, CedarSet>,
}

/// A Cedar string literal (our alphabet needs no escape; refuse anything else).
fn literal(text: &str) -> Result<String> {
    if text.contains(['"', '\\']) {
        bail!("unexpected quote or backslash in {text:?}");
    }
    Ok(format!("\"{text}\""))
}

/// The `when` condition for resource glob `glob`.
fn resource_condition(glob: &str) -> Result<String> {
    let questions = glob.matches('?').count();
    if questions == 0 {
        return Ok(format!("context.resource like {}", literal(glob)?));
    }
    if questions > 1 {
        bail!("more than one `?` in {glob:?} (the expansion would explode)");
    }
    let alternatives: Result<Vec<String>> = ALPHABET
        .chars()
        .map(|c| {
            Ok(format!(
                "context.resource like {}",
                literal(&glob.replacen('?', &c.to_string(), 1))?
            ))
        })
        .collect();
    Ok(format!("({})", alternatives?.join(" || ")))
}

/// The Cedar text of one assertion.
pub fn policy_text(role: &str, rule: &Rule) -> Result<String> {
    let effect = match rule.effect {
        Effect::Allow => "permit",
        Effect::Deny => "forbid",
    };
    let action = match rule.action.as_str() {
        "*" => "action".to_string(),
        a if a.contains(['*', '?']) => bail!("action globs other than `*`: {a:?}"),
        a => format!("action == Action::{}", literal(a)?),
    };
    Ok(format!(
        "{effect}(principal in Role::{}, {action}, resource) when {{ {} }};",
        literal(role)?,
        resource_condition(&rule.resource)?
    ))
}

fn uid(type_name: &EntityTypeName, id: &str) -> EntityUid {
    EntityUid::from_type_name_and_id(type_name.clone(), EntityId::new(id))
}

impl Common {
    /// Parses every assertion into a policy and builds the entities.
    pub fn build(set: &PolicySet) -> Result<Rc<Self>> {
        let user_type = EntityTypeName::from_str("User")?;
        let role_type = EntityTypeName::from_str("Role")?;
        let action_type = EntityTypeName::from_str("Action")?;
        let mut by_role = vec![Vec::new(); set.roles.len()];
        for (i, rule) in set.rules.iter().enumerate() {
            let text = policy_text(&set.roles[rule.role], rule)?;
            let policy = Policy::parse(Some(PolicyId::new(format!("a{i}"))), &text)
                .with_context(|| format!("cedar refused {text}"))?;
            by_role[rule.role].push(policy);
        }
        let role_uids: Vec<EntityUid> = set.roles.iter().map(|r| uid(&role_type, r)).collect();
        let users = set.principals.iter().map(|(name, roles)| {
            let parents: HashSet<EntityUid> = roles.iter().map(|&r| role_uids[r].clone()).collect();
            Entity::new_no_attrs(uid(&user_type, name), parents)
        });
        let roles = role_uids
            .iter()
            .map(|r| Entity::new_no_attrs(r.clone(), HashSet::new()));
        let entities = Entities::from_entities(roles.chain(users), None)?;
        let actions = crate::policy::ACTIONS
            .iter()
            .map(|a| (a.to_string(), uid(&action_type, a)))
            .collect();
        Ok(Rc::new(Self {
            authorizer: Authorizer::new(),
            entities,
            actions,
            resource: uid(&EntityTypeName::from_str("Resource")?, "bench"),
            user_type,
            by_role,
        }))
    }

    /// The Cedar request for `request`: the principal's uid, the action's uid (looked up
    /// among the prebuilt ones) and the resource in the context.
    #[inline]
    fn request(&self, request: &Request) -> Result<CedarRequest> {
        let action = match self.actions.get(request.action.as_str()) {
            Some(a) => a.clone(),
            None => uid(&EntityTypeName::from_str("Action")?, &request.action),
        };
        let context = Context::from_pairs([(
            "resource".to_string(),
            RestrictedExpression::new_string(request.resource.clone()),
        )])?;
        Ok(CedarRequest::new(
            uid(&self.user_type, &request.principal),
            action,
            self.resource.clone(),
            context,
            None,
        )?)
    }

    #[inline]
    fn decide(&self, request: &Request, policies: &CedarSet) -> Result<bool> {
        let cedar_request = self.request(request)?;
        let response = self
            .authorizer
            .is_authorized(&cedar_request, policies, &self.entities);
        Ok(response.decision() == Decision::Allow)
    }
}

impl CedarFull {
    /// One policy set with all policies.
    pub fn build(common: Rc<Common>) -> Result<Self> {
        let policies = CedarSet::from_policies(common.by_role.iter().flatten().cloned())?;
        Ok(Self { common, policies })
    }
}

impl Engine for CedarFull {
    fn decide(&mut self, request: &Request) -> Result<bool> {
        self.common.decide(request, &self.policies)
    }
}

impl CedarSliced {
    /// A policy set per principal with its roles' policies.
    pub fn build(common: Rc<Common>, set: &PolicySet) -> Result<Self> {
        let mut slices = FxHashMap::default();
        for (name, roles) in &set.principals {
            let policies = roles
                .iter()
                .flat_map(|&r| common.by_role[r].iter().cloned());
            slices.insert(name.clone(), CedarSet::from_policies(policies)?);
        }
        Ok(Self { common, slices })
    }
}

impl Engine for CedarSliced {
    fn decide(&mut self, request: &Request) -> Result<bool> {
        match self.slices.get(request.principal.as_str()) {
            Some(policies) => self.common.decide(request, policies),
            None => Ok(false),
        }
    }
}
