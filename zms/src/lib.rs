//! ZMS, the Athenz management service: the single source of truth for domains, roles, groups,
//! policies and services, the central access check, and the signed domain feed ZTS reads.
//!
//! It does not issue certificates or tokens (that is ZTS) and keeps no per-request state beyond
//! its store. Entry point: [`serve`].

pub mod api;
pub mod bootstrap;
pub mod config;
pub mod dev;
pub mod doc;
pub mod error;
pub mod signer;
pub mod state;
pub mod tls;

use std::future::Future;
use tokio::net::TcpListener;

/// Opens the store (bootstrapping it on first start) and serves the API on `listener` until
/// `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    config: config::Config,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let tls = tls::server_config(&config)?;
    let refresh = std::time::Duration::from_secs(config.cache_refresh_secs);
    let state = state::AppState::open(config).await?;
    if !refresh.is_zero() {
        let st = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(refresh);
            loop {
                tick.tick().await;
                if let Err(e) = st.refresh_from_store().await {
                    tracing::warn!(error = %e, "refreshing from the shared store failed");
                }
            }
        });
    }
    let app = api::router(state);
    server_common::accept::run(listener, tls, app, shutdown).await;
    Ok(())
}
