//! The Nova compute API client (Compute API v2.1, "Show Server Details"):
//! `GET {nova_url}/servers/{id}` with the provider's own Keystone token. Only what the callback
//! checks is read: `status`, `tenant_id` and the `addresses` of every network.

use crate::error::{Error, Result};
use crate::keystone::Keystone;
use reqwest::StatusCode;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;

/// The Nova client.
#[derive(Debug)]
pub struct Nova {
    http: reqwest::Client,
    url: Option<String>,
}

/// What Nova says of a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// It exists.
    Found(Server),
    /// Nova answered 404: there is no such server (any more).
    Deleted,
}

/// The facts of a server the callback checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    /// `ACTIVE`, `SHUTOFF`, `BUILD`, …
    pub status: String,
    /// The project that owns it.
    pub tenant_id: String,
    /// Every address on every network, canonical (IPv4-mapped IPv6 as IPv4).
    pub addresses: Vec<IpAddr>,
}

impl Server {
    /// Whether `ip` is one of the server's addresses.
    pub fn has_address(&self, ip: IpAddr) -> bool {
        self.addresses.contains(&ip.to_canonical())
    }
}

/// Whether `id` can be a Nova server id (a UUID in practice); keeps request paths clean.
pub fn is_server_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Nova {
    /// A client for `url` (`None`: the Keystone catalog's compute endpoint).
    pub fn new(url: Option<String>, ca_file: Option<&Path>) -> anyhow::Result<Self> {
        Ok(Self {
            http: crate::keystone::http_client(ca_file)?,
            url,
        })
    }

    /// Looks server `id` up. Nova or Keystone unreachable, or any answer but 200 and 404:
    /// [`Error::Unavailable`]. A malformed id: [`Error::Forbidden`].
    pub async fn server(&self, keystone: &Keystone, id: &str) -> Result<Lookup> {
        if !is_server_id(id) {
            return Err(Error::Forbidden(format!(
                "nova: {:?} is not a server id",
                id.chars().take(80).collect::<String>()
            )));
        }
        for attempt in 0..2 {
            let base = match &self.url {
                Some(u) => u.clone(),
                None => keystone.compute_url().await?,
            };
            let own = keystone.own_token().await?;
            let resp = self
                .http
                .get(format!("{base}/servers/{id}"))
                .header("X-Auth-Token", own.token.expose())
                .header("Accept", "application/json")
                .send()
                .await
                .map_err(|e| Error::unavailable("nova", format!("GET server {id}: {e}")))?;
            match resp.status() {
                StatusCode::OK => {
                    let body: ServerBody = resp.json().await.map_err(|e| {
                        Error::unavailable("nova", format!("unreadable server {id}: {e}"))
                    })?;
                    return Ok(Lookup::Found(body.server.into()));
                }
                StatusCode::NOT_FOUND => return Ok(Lookup::Deleted),
                // Our token may have been revoked before its expiry: authenticate again, once.
                StatusCode::UNAUTHORIZED if attempt == 0 => keystone.invalidate().await,
                other => {
                    return Err(Error::unavailable(
                        "nova",
                        format!("GET server {id} answered {other}"),
                    ));
                }
            }
        }
        Err(Error::unavailable(
            "nova",
            "Nova refused the provider's Keystone token",
        ))
    }
}

#[derive(Deserialize)]
struct ServerBody {
    server: RawServer,
}

#[derive(Deserialize)]
struct RawServer {
    status: String,
    tenant_id: String,
    #[serde(default)]
    addresses: BTreeMap<String, Vec<RawAddress>>,
}

#[derive(Deserialize)]
struct RawAddress {
    addr: String,
}

impl From<RawServer> for Server {
    fn from(s: RawServer) -> Self {
        Self {
            status: s.status,
            tenant_id: s.tenant_id,
            addresses: s
                .addresses
                .values()
                .flatten()
                .filter_map(|a| a.addr.parse::<IpAddr>().ok())
                .map(|ip| ip.to_canonical())
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_shape() {
        let body: ServerBody = serde_json::from_str(
            r#"{"server": {"id": "u1", "status": "ACTIVE", "tenant_id": "p1",
                "addresses": {"private": [{"addr": "10.0.0.5", "version": 4,
                "OS-EXT-IPS:type": "fixed"}, {"addr": "fd00::5", "version": 6}],
                "public": [{"addr": "203.0.113.7", "version": 4}]}}}"#,
        )
        .unwrap();
        let s = Server::from(body.server);
        assert_eq!(s.status, "ACTIVE");
        assert_eq!(s.tenant_id, "p1");
        assert!(s.has_address("10.0.0.5".parse().unwrap()));
        assert!(s.has_address("::ffff:203.0.113.7".parse().unwrap()));
        assert!(s.has_address("fd00::5".parse().unwrap()));
        assert!(!s.has_address("10.0.0.6".parse().unwrap()));
    }

    #[test]
    fn server_ids() {
        assert!(is_server_id("6f1c7c0e-1111-2222-3333-444455556666"));
        assert!(!is_server_id(""));
        assert!(!is_server_id("../flavors"));
        assert!(!is_server_id("a/b"));
    }
}
