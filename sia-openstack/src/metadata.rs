//! The three OpenStack metadata files the agent reads (`docs/openstack.md` §2), from the
//! metadata service (`{base}/openstack/latest/<file>`) or a mounted config drive
//! (`<dir>/openstack/latest/<file>`, the same layout, for clouds without a metadata service):
//! - `meta_data.json`: `uuid`, `hostname`, `project_id`, `meta.athenz_domain`,
//!   `meta.athenz_service`;
//! - `vendor_data2.json`: `athenz.attestation`, the provider's token (Nova's DynamicJSON puts
//!   each target's answer under its name, ours is `athenz`);
//! - `network_data.json`: `networks[].ip_address`, the SAN IPs.
//!
//! Every error names the file (URL or path) and the field.

use crate::error::{Error, Result};
use serde_json::{Map, Value};
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The metadata service's link-local base URL.
pub const DEFAULT_ENDPOINT: &str = "http://169.254.169.254";
/// The version directory both the service and the config drive use.
pub const LATEST: &str = "openstack/latest";
/// The instance's own metadata.
pub const META_DATA: &str = "meta_data.json";
/// Dynamic vendordata (one object per `vendordata_dynamic_targets` name).
pub const VENDOR_DATA: &str = "vendor_data2.json";
/// The instance's networks.
pub const NETWORK_DATA: &str = "network_data.json";
/// Our `vendordata_dynamic_targets` name (`athenz@https://provider/vendordata`).
pub const VENDORDATA_TARGET: &str = "athenz";
/// Per-request timeout: the service is link-local, so a slow answer means a broken one, and
/// the daemon's retry is better than a hang.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Where the metadata files come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The metadata service at this base URL (`-meta`).
    Service(String),
    /// A mounted config drive (`-configdrive`).
    ConfigDrive(PathBuf),
}

/// `meta_data.json`, the fields the agent uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaData {
    /// The Nova server uuid: the instance id.
    pub uuid: String,
    /// Nova's host name.
    pub hostname: Option<String>,
    /// The OpenStack project id (selects the `sia_config` `accounts` entry).
    pub project_id: Option<String>,
    /// `meta.athenz_domain`.
    pub domain: Option<String>,
    /// `meta.athenz_service`.
    pub service: Option<String>,
}

/// Everything read in one pass over the three files.
#[derive(Clone, PartialEq, Eq)]
pub struct Instance {
    /// `meta_data.json`.
    pub meta: MetaData,
    /// The attestation token, exactly as Nova served it.
    pub token: String,
    /// Fixed IPs from `network_data.json`, in file order, without duplicates.
    pub ips: Vec<IpAddr>,
}

impl std::fmt::Debug for Instance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token is a bearer credential until it expires: never print it.
        f.debug_struct("Instance")
            .field("meta", &self.meta)
            .field("ips", &self.ips)
            .finish_non_exhaustive()
    }
}

/// Reads the files from a [`Source`].
#[derive(Debug, Clone)]
pub struct Reader {
    source: Source,
    http: reqwest::Client,
}

impl Reader {
    /// A reader for `source`. The HTTP client never uses a proxy: the service is link-local.
    pub fn new(source: Source) -> Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .no_proxy()
            .build()
            .map_err(|e| Error::Metadata {
                location: describe(&source),
                message: format!("unable to build HTTP client: {e}"),
            })?;
        Ok(Self { source, http })
    }

    /// Where the files come from, for log lines.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// Reads and parses all three files.
    pub async fn instance(&self) -> Result<Instance> {
        let (loc, text) = self.read(META_DATA).await?;
        let meta = parse_meta_data(&text).map_err(|m| metadata(&loc, m))?;
        let (loc, text) = self.read(VENDOR_DATA).await?;
        let token = parse_vendor_data(&text).map_err(|m| metadata(&loc, m))?;
        let (loc, text) = self.read(NETWORK_DATA).await?;
        let ips = parse_network_data(&text).map_err(|m| metadata(&loc, m))?;
        Ok(Instance { meta, token, ips })
    }

    /// One file's location and text; only HTTP 200 counts as found.
    async fn read(&self, file: &str) -> Result<(String, String)> {
        match &self.source {
            Source::ConfigDrive(dir) => {
                let path = dir.join(LATEST).join(file);
                let loc = path.display().to_string();
                match std::fs::read_to_string(&path) {
                    Ok(t) => Ok((loc, t)),
                    Err(e) => Err(metadata(&loc, e.to_string())),
                }
            }
            Source::Service(base) => {
                let url = format!("{}/{LATEST}/{file}", base.trim_end_matches('/'));
                let resp = self
                    .http
                    .get(&url)
                    .send()
                    .await
                    .map_err(|e| metadata(&url, chain(&e)))?;
                let status = resp.status();
                if status != reqwest::StatusCode::OK {
                    return Err(metadata(&url, format!("HTTP {}", status.as_u16())));
                }
                let text = resp.text().await.map_err(|e| metadata(&url, chain(&e)))?;
                Ok((url, text))
            }
        }
    }
}

/// Parses `meta_data.json`; `uuid` is required, the rest optional (the identity rules decide
/// whether a missing domain or service matters).
pub fn parse_meta_data(text: &str) -> Result<MetaData, String> {
    let top = object(text)?;
    let uuid = string(&top, "uuid", "uuid")?.ok_or("no \"uuid\" (the instance id)")?;
    let meta = match top.get("meta") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err("\"meta\" is not an object".into()),
    };
    Ok(MetaData {
        uuid,
        hostname: string(&top, "hostname", "hostname")?,
        project_id: string(&top, "project_id", "project_id")?,
        domain: string(&meta, "athenz_domain", "meta.athenz_domain")?,
        service: string(&meta, "athenz_service", "meta.athenz_service")?,
    })
}

/// Parses `vendor_data2.json` for `athenz.attestation`. A missing `athenz` entry usually means
/// Nova has no `athenz@…` dynamic target, or the provider refused the instance at boot.
pub fn parse_vendor_data(text: &str) -> Result<String, String> {
    let top = object(text)?;
    let target = match top.get(VENDORDATA_TARGET) {
        Some(Value::Object(m)) => m,
        Some(_) => return Err(format!("\"{VENDORDATA_TARGET}\" is not an object")),
        None => {
            return Err(format!(
                "no \"{VENDORDATA_TARGET}\" entry (Nova's vendordata_dynamic_targets must name \
                 {VENDORDATA_TARGET}@<provider>/vendordata, and the provider must have accepted \
                 the instance at boot)"
            ));
        }
    };
    // The token goes to the provider byte for byte (it is a signed JWS): not even trimmed.
    match target.get("attestation") {
        Some(Value::String(t)) if !t.trim().is_empty() => Ok(t.clone()),
        None | Some(Value::Null | Value::String(_)) => Err(format!(
            "no \"{VENDORDATA_TARGET}.attestation\" (the provider's token)"
        )),
        Some(_) => Err(format!(
            "\"{VENDORDATA_TARGET}.attestation\" is not a string"
        )),
    }
}

/// Parses `network_data.json` for `networks[].ip_address`. Networks without an address (DHCP)
/// are skipped; an address that is not an IP is an error, since a wrong SAN IP would only fail
/// later, at ZTS, with a vaguer message.
pub fn parse_network_data(text: &str) -> Result<Vec<IpAddr>, String> {
    let top = object(text)?;
    let networks = match top.get("networks") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(n)) => n,
        Some(_) => return Err("\"networks\" is not an array".into()),
    };
    let mut ips = Vec::new();
    for (i, n) in networks.iter().enumerate() {
        let addr = match n.get("ip_address") {
            None | Some(Value::Null) => continue,
            Some(Value::String(s)) if s.trim().is_empty() => continue,
            Some(Value::String(s)) => s.trim(),
            Some(_) => return Err(format!("networks[{i}].ip_address is not a string")),
        };
        let ip: IpAddr = addr
            .parse()
            .map_err(|_| format!("networks[{i}].ip_address {addr:?} is not an IP address"))?;
        if !ips.contains(&ip) {
            ips.push(ip);
        }
    }
    Ok(ips)
}

fn object(text: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_str(text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err("not a JSON object".into()),
        Err(e) => Err(format!("not valid JSON: {e}")),
    }
}

/// A string field, `None` when absent, null or blank; `name` is its path for the message.
fn string(m: &Map<String, Value>, key: &str, name: &str) -> Result<Option<String>, String> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string()).filter(|s| !s.is_empty())),
        Some(_) => Err(format!("\"{name}\" is not a string")),
    }
}

fn metadata(location: &str, message: impl Into<String>) -> Error {
    Error::Metadata {
        location: location.to_string(),
        message: message.into(),
    }
}

fn describe(source: &Source) -> String {
    match source {
        Source::Service(base) => base.clone(),
        Source::ConfigDrive(dir) => dir.display().to_string(),
    }
}

/// reqwest's message plus its causes (the bare message says only "error sending request").
fn chain(e: &reqwest::Error) -> String {
    let mut message = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        message.push_str(&format!(": {s}"));
        src = s.source();
    }
    message
}

#[cfg(test)]
mod tests;
