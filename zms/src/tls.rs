//! TLS for ZMS: the shared server TLS (`server_common::tls`) configured from ZMS's settings.

use crate::config::Config;
use std::sync::Arc;

pub use server_common::tls::{Peer, load_certs, principal_of, provider};

/// Builds the server TLS configuration.
pub fn server_config(cfg: &Config) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    server_common::tls::server_config(&cfg.tls_cert_file, &cfg.tls_key_file, &cfg.client_ca_files)
}
