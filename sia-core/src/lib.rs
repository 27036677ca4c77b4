//! What every Athenz SIA agent shares, with no platform knowledge (no AWS, no OpenStack): keys,
//! the service CSR, the ZTS instance client, crash-safe files, `sia_config`, Go-style flags, the
//! register/refresh flow and the daemon loop, systemd readiness and logging, and the command-line
//! runner every platform binary shares (`-cmd`, `-zts`, ..., exit codes), and the role
//! certificates ([`roles`]) and access tokens ([`tokens`]) fetched with the service identity. A
//! platform crate implements [`agent::Attestor`] and wires flags to [`agent::AgentConfig`].
//!
//! It does not fetch SSH certificates.

#![warn(missing_docs)]

pub mod agent;
pub mod cert;
pub mod config;
pub mod csr;
pub mod daemon;
pub mod error;
pub mod files;
pub mod flags;
pub mod keys;
pub mod logging;
pub mod notify;
pub mod roles;
pub mod runner;
pub mod schedule;
pub mod tokens;
pub mod zts;

#[cfg(test)]
mod testutil;

pub use agent::{AgentConfig, Attestation, Attestor, ServiceTarget, ZtsApi};
pub use error::{Error, Result};
pub use keys::{KeyType, PrivateKey};
