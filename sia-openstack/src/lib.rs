//! SIA for OpenStack VMs (`docs/openstack.md` §2): gathers the instance's proof (the provider's
//! attestation token from Nova's dynamic vendordata, the server uuid and the fixed IPs) from the
//! metadata service or a config drive, and picks the Athenz identity. Keys, the CSR, ZTS, files,
//! the refresh loop and systemd readiness are `sia-core`'s; this crate knows only OpenStack.
//!
//! It does not verify the token (only the provider that signed it can) and talks to no
//! OpenStack API: the metadata service is all a VM needs.

#![warn(missing_docs)]

pub mod attestor;
pub mod cli;
pub mod error;
pub mod identity;
pub mod metadata;

pub use error::{Error, Result};
