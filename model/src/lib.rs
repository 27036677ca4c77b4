//! Shared Athenz model: the wire types of the ZMS API with Athenz's exact JSON, the name grammar as
//! parsed newtypes, the policy evaluator every server uses, and the signing helpers for domain data.
//!
//! This crate does no I/O and depends on no other crate of the workspace: servers, agents and the
//! policy engine all build on it, so one definition of a name or a match rule serves them all.
#![warn(missing_docs)]

pub mod access;
pub mod canonical;
pub mod crypto;
pub mod error;
pub mod glob;
pub mod jwt;
pub mod names;
pub mod timestamp;
pub mod ybase64;
pub mod zms;
pub mod zts;
pub mod zts_policy;
pub mod zts_token;

pub use error::ResourceError;
pub use names::{DomainName, EntityName, MemberName, NameError, ResourceName, SimpleName};
pub use timestamp::Timestamp;
