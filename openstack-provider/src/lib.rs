//! The OpenStack instance provider (docs/openstack.md): a separate HTTPS service with two jobs.
//!
//! - `POST /vendordata`: Nova's dynamic vendordata endpoint. It checks Nova's Keystone token and
//!   the project→domain binding and answers a signed attestation token ([`token`]).
//! - `POST /instance`, `POST /refresh`: the Athenz provider callback that ZTS calls over mTLS. It
//!   verifies its own token, the binding, and asks Nova that the server is alive and has the
//!   connecting IP ([`callback`]).
//!
//! It issues no certificates and stores nothing: ZTS signs, Keystone and Nova are the truth.
//! Entry point: [`serve`].

pub mod callback;
pub mod config;
pub mod error;
pub mod keystone;
pub mod nova;
pub mod token;
pub mod vendordata;

#[cfg(test)]
mod testutil;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use config::Config;
use std::future::Future;
use std::io::Write;
use std::sync::Arc;
use tokio::net::TcpListener;

/// The marker line printed on stdout once the provider listens: `{LISTEN_MARKER}https://ADDR`.
pub const LISTEN_MARKER: &str = "openstack-provider listening on ";

/// Largest request body: Nova's vendordata body carries the user data (up to 64 KiB, base64).
const MAX_BODY_BYTES: usize = 512 * 1024;

/// What every handler shares.
#[derive(Debug)]
pub struct AppState {
    /// The validated configuration.
    pub config: Config,
    /// The provider's Keystone client.
    pub keystone: keystone::Keystone,
    /// The Nova client.
    pub nova: nova::Nova,
}

impl AppState {
    /// Builds the clients of `config`.
    pub fn new(config: Config) -> anyhow::Result<Self> {
        let keystone = keystone::Keystone::new(config.keystone.clone())?;
        let nova = nova::Nova::new(config.nova_url.clone(), config.nova_ca_file.as_deref())?;
        Ok(Self {
            config,
            keystone,
            nova,
        })
    }
}

/// The route table.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/vendordata", post(vendordata::vendordata))
        .route("/instance", post(callback::instance))
        .route("/refresh", post(callback::refresh))
        .route("/status", get(|| async { "OK" }))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// Serves the provider on `listener` until `shutdown` resolves. Prints the
/// [`LISTEN_MARKER`] line on stdout once the TLS configuration is loaded.
pub async fn serve(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let tls = server_common::tls::server_config(
        &config.tls_cert_file,
        &config.tls_key_file,
        std::slice::from_ref(&config.client_ca_file),
    )?;
    let state = Arc::new(AppState::new(config)?);
    let addr = listener.local_addr()?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{LISTEN_MARKER}https://{addr}")?;
        out.flush()?;
    }
    tracing::info!(%addr, provider = %state.config.provider_name, "serving");
    server_common::accept::run(listener, tls, router(state), shutdown).await;
    Ok(())
}

/// The clock: seconds since the epoch.
pub(crate) fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
