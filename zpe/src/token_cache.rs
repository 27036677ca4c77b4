//! Cache of validated role and access tokens, keyed by the token string (access tokens without
//! `Bearer `), so a token's signature is verified once and not on every decision
//! (`AuthZpeClient` `roleTokenCacheMap` and `accessTokenCacheMap`, bounded by
//! `athenz.zpe.max_token_cache_entries`, default 10240; expired entries cleaned periodically).
//! One map serves both kinds: a role token starts with `v=Z1;` and an access token (a JWT) never
//! does, so their keys cannot collide.
//!
//! Only tokens that validated are inserted, so an attacker cannot fill the cache with junk; a
//! full cache first drops expired entries and, if still full, stops caching (decisions then
//! verify each time, which is slower but correct). A hit clones an `Arc`, no allocation.

use crate::role_token::TokenInfo;
use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

#[derive(Debug)]
pub(crate) struct TokenCache {
    max: usize,
    map: RwLock<HashMap<Box<str>, Arc<TokenInfo>>>,
}

impl TokenCache {
    pub(crate) fn new(max: usize) -> Self {
        Self {
            max,
            map: RwLock::new(HashMap::new()),
        }
    }

    pub(crate) fn get(&self, token: &str) -> Option<Arc<TokenInfo>> {
        self.map
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(token)
            .cloned()
    }

    pub(crate) fn insert(&self, token: &str, info: Arc<TokenInfo>, now_secs: i64) {
        if self.max == 0 {
            return;
        }
        let mut map = self.map.write().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= self.max {
            map.retain(|_, t| !t.is_expired(now_secs));
            if map.len() >= self.max {
                return;
            }
        }
        map.insert(token.into(), info);
    }

    /// Drops the entries that expired before `now_secs`.
    pub(crate) fn purge_expired(&self, now_secs: i64) {
        self.map
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|_, t| !t.is_expired(now_secs));
    }

    pub(crate) fn len(&self) -> usize {
        self.map
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}
