//! ZPE: the generated set as one ZTS-signed legacy policy file (`DomainSignedPolicyData`, one
//! policy per role), loaded through the public API and decided with `allow_roles`.

use super::Engine;
use crate::corpus::Request;
use crate::policy::{DOMAIN, Effect, PolicySet};
use anyhow::{Context, Result};
use model::Timestamp;
use model::crypto::SigningKey;
use model::zms::{Assertion, AssertionEffect, Policy};
use model::zts_policy::{DomainSignedPolicyData, PolicyData, SignedPolicyData};
use rustc_hash::FxHashMap;
use zpe::{AccessResult, KeyStore, PolicyStore, Reason, ZpeConfig};

/// What loading the file cost in memory.
#[derive(Debug, Clone, Copy)]
pub struct Memory {
    /// Size of the signed policy file.
    pub file_bytes: usize,
    /// VmRSS growth across `load_policy_bytes` (kB), when `/proc` is readable.
    pub rss_delta_kb: Option<u64>,
    /// Live heap bytes the loaded store holds (allocated across the load and not freed).
    pub retained_bytes: usize,
}

/// ZPE with the principal → roles map an application keeps beside it.
pub struct Zpe {
    store: PolicyStore,
    principals: FxHashMap<String, Vec<String>>,
}

/// The signed legacy policy file for `set`, as ZPU writes it.
pub fn policy_file(set: &PolicySet, key: &SigningKey, key_id: &str) -> Result<Vec<u8>> {
    let now = Timestamp::now();
    let policies = set
        .roles
        .iter()
        .zip(&set.rules_of_role)
        .map(|(role, rules)| Policy {
            name: format!("{DOMAIN}:policy.{role}"),
            modified: Some(now),
            assertions: rules
                .iter()
                .map(|&i| {
                    let rule = &set.rules[i];
                    Assertion {
                        role: format!("{DOMAIN}:role.{role}"),
                        resource: rule.resource.clone(),
                        action: rule.action.clone(),
                        effect: Some(match rule.effect {
                            Effect::Allow => AssertionEffect::Allow,
                            Effect::Deny => AssertionEffect::Deny,
                        }),
                        id: None,
                        case_sensitive: None,
                    }
                })
                .collect(),
            ..Policy::default()
        })
        .collect();
    let data = SignedPolicyData {
        policy_data: PolicyData {
            domain: DOMAIN.into(),
            policies,
        },
        zms_signature: Some(String::new()),
        zms_key_id: Some(String::new()),
        modified: now,
        expires: now.plus_millis(24 * 3_600_000),
    };
    let signature = key.sign_ybase64(data.canonical_signable()?.as_bytes())?;
    Ok(serde_json::to_vec(&DomainSignedPolicyData {
        signed_policy_data: data,
        signature,
        key_id: key_id.into(),
    })?)
}

/// Resident set size of this process in kB (`VmRSS` of `/proc/self/status`).
pub fn vm_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

impl Zpe {
    /// Signs `set` with a fresh key, loads it and measures the RSS the load added.
    pub fn build(set: &PolicySet) -> Result<(Self, Memory)> {
        let key = SigningKey::from_pem(&rcgen::KeyPair::generate()?.serialize_pem())?;
        let mut keys = KeyStore::new();
        keys.add_zts_key("0", key.verifying_key().clone());
        let bytes = policy_file(set, &key, "0")?;
        let principals = set
            .principals
            .iter()
            .map(|(name, roles)| {
                let roles = roles.iter().map(|&r| set.roles[r].clone()).collect();
                (name.clone(), roles)
            })
            .collect();
        let before = vm_rss_kb();
        let heap_before = crate::heap::live();
        let store = PolicyStore::new(keys, ZpeConfig::default());
        let domain = store
            .load_policy_bytes(&bytes)
            .context("ZPE refused the generated policy file")?;
        let retained_bytes = crate::heap::live().saturating_sub(heap_before);
        let after = vm_rss_kb();
        anyhow::ensure!(domain == DOMAIN, "ZPE loaded domain {domain}");
        let memory = Memory {
            file_bytes: bytes.len(),
            rss_delta_kb: before.zip(after).map(|(b, a)| a.saturating_sub(b)),
            retained_bytes,
        };
        Ok((Self { store, principals }, memory))
    }

    /// ZPE's reason code for `request` (for the three-way check against the reference).
    pub fn reason(&self, request: &Request) -> Reason {
        let roles = self
            .principals
            .get(request.principal.as_str())
            .map_or(&[][..], Vec::as_slice);
        self.store
            .allow_roles(DOMAIN, roles, &request.action, &request.resource)
            .1
    }
}

impl Engine for Zpe {
    #[inline]
    fn decide(&mut self, request: &Request) -> Result<bool> {
        let roles = self
            .principals
            .get(request.principal.as_str())
            .map_or(&[][..], Vec::as_slice);
        let (result, _) = self
            .store
            .allow_roles(DOMAIN, roles, &request.action, &request.resource);
        Ok(result == AccessResult::Allow)
    }
}
