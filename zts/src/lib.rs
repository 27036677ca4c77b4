//! ZTS, the Athenz token service: turns a proven launch into an X.509 service identity. It asks a
//! provider to confirm each launch and refresh, checks ZMS policy (from its own verified copy of
//! ZMS data) that the provider may launch the service, signs the certificate, and guards refresh
//! against replay with certificate records.
//!
//! It reads ZMS only through the signed feed; it never writes to ZMS. Entry point: [`serve`].

pub mod api;
pub mod authz;
pub mod config;
pub mod csr;
pub mod dev;
pub mod error;
pub mod instance;
pub mod providers;
pub mod signer;
pub mod state;
pub mod zmsdata;

use anyhow::Context;
use rustls_pki_types::pem::PemObject;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// Loads the CA, the certificate store and the local ZMS copy, starts polling ZMS, and serves the
/// API on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    mut config: config::Config,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let tls = server_common::tls::server_config(
        &config.tls_cert_file,
        &config.tls_key_file,
        &config.client_ca_files,
    )?;
    let store = zts_store::open(&config.store_url).await?;
    let signer = signer::CertSigner::load(&config.ca_cert_file, &config.ca_key_file)?;
    let zms = Arc::new(zmsdata::ZmsCopy::open(
        zmsdata::load_zms_key(&config.zms_public_key_file)?,
        &config.zms_cache_dir,
        zms_client(&config)?,
        &config.zms_url,
    )?);
    tokio::spawn(zms.clone().run(Duration::from_secs(config.zms_poll_secs)));
    let aws = Arc::new(providers::aws::AwsContext::load(config.aws.clone()).await);
    let providers = providers::Providers::new(
        providers::ProviderTls {
            ca_files: config.provider_ca_files.clone(),
            client_cert: config.tls_cert_file.clone(),
            client_key: config.tls_key_file.clone(),
            connect_timeout: Duration::from_millis(config.provider_connect_timeout_ms),
            read_timeout: Duration::from_millis(config.provider_read_timeout_ms),
        },
        providers::BuiltinContext { aws },
    );
    if config.tokens.issuer_from_listen {
        config.tokens.issuer = format!("https://{}/zts/v1", listener.local_addr()?);
    }
    let tokens = authz::TokenSigner::load(config.tokens.clone())?;
    let state = Arc::new(state::AppState {
        tokens,
        config,
        zms,
        store,
        signer,
        providers,
    });
    server_common::accept::run(listener, tls, api::router(state), shutdown).await;
    Ok(())
}

/// The client ZTS reads ZMS with: ZMS's CA trusted, ZTS's own certificate presented.
fn zms_client(config: &config::Config) -> anyhow::Result<reqwest::Client> {
    let mut ca = std::fs::read(&config.zms_ca_file)
        .with_context(|| format!("reading {}", config.zms_ca_file.display()))?;
    let mut b = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(60));
    for c in rustls_pki_types::CertificateDer::pem_slice_iter(&ca) {
        let c = c.context("ZMS CA")?;
        b = b.add_root_certificate(reqwest::Certificate::from_der(c.as_ref())?);
    }
    let mut identity = std::fs::read(&config.tls_cert_file)?;
    identity.extend(std::fs::read(&config.tls_key_file)?);
    b = b.identity(reqwest::Identity::from_pem(&identity)?);
    ca.clear();
    Ok(b.build()?)
}
