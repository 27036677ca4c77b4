//! A fake OpenStack metadata service and config drive, following the documented layout ("Metadata
//! service" and "Config drives", Nova user guide): the service answers
//! `GET /openstack/latest/meta_data.json`, `vendor_data2.json` and `network_data.json` with JSON,
//! and 404 for anything else; a config drive holds the same files under `openstack/latest/`.
//! What the files say is set by the test ([`Files`]).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

/// The three files.
#[derive(Debug, Clone, PartialEq)]
pub struct Files {
    /// `meta_data.json`.
    pub meta_data: Value,
    /// `vendor_data2.json`.
    pub vendor_data2: Value,
    /// `network_data.json`.
    pub network_data: Value,
}

impl Default for Files {
    fn default() -> Self {
        Self {
            meta_data: json!({}),
            vendor_data2: json!({}),
            network_data: json!({"links": [], "networks": [], "services": []}),
        }
    }
}

/// The server's side of an instance, as Nova describes it in the metadata files.
#[derive(Debug, Clone)]
pub struct VmInfo<'a> {
    /// Server uuid.
    pub uuid: &'a str,
    /// Server name and host name.
    pub hostname: &'a str,
    /// Project id.
    pub project_id: &'a str,
    /// Server metadata (`meta`).
    pub meta: &'a Value,
    /// Fixed IPv4 addresses, one network each.
    pub ips: &'a [String],
}

/// `meta_data.json` as Nova writes it for `vm`.
pub fn meta_data(vm: &VmInfo<'_>) -> Value {
    json!({
        "uuid": vm.uuid,
        "meta": vm.meta,
        "hostname": vm.hostname,
        "name": vm.hostname,
        "launch_index": 0,
        "availability_zone": "nova",
        "project_id": vm.project_id,
        "public_keys": {},
        "devices": [],
    })
}

/// `network_data.json` with one IPv4 network per address.
pub fn network_data(ips: &[String]) -> Value {
    let links: Vec<Value> = (0..ips.len())
        .map(|i| {
            json!({"id": format!("tap{i}"), "type": "ovs", "mtu": 1450,
                "ethernet_mac_address": format!("fa:16:3e:00:00:{i:02x}"),
                "vif_id": format!("vif-{i}")})
        })
        .collect();
    let networks: Vec<Value> = ips
        .iter()
        .enumerate()
        .map(|(i, ip)| {
            json!({"id": format!("network{i}"), "type": "ipv4", "link": format!("tap{i}"),
                "ip_address": ip, "netmask": "255.255.255.0", "routes": [],
                "network_id": format!("net-{i}"), "services": []})
        })
        .collect();
    json!({"links": links, "networks": networks, "services": []})
}

/// A running fake metadata service on 127.0.0.1; stops on drop.
pub struct MetadataService {
    /// `http://127.0.0.1:PORT` (the `-meta` base).
    pub url: String,
    files: Arc<Mutex<Files>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for MetadataService {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl MetadataService {
    /// Starts serving empty files.
    pub async fn start() -> anyhow::Result<Self> {
        let files = Arc::new(Mutex::new(Files::default()));
        let app = Router::new()
            .route("/openstack/latest/{file}", get(serve))
            .with_state(files.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { url, files, task })
    }

    /// Replaces what the service answers from now on.
    pub fn set(&self, files: Files) {
        self.update(|f| *f = files);
    }

    /// Changes what the service answers from now on.
    pub fn update(&self, f: impl FnOnce(&mut Files)) {
        if let Ok(mut files) = self.files.lock() {
            f(&mut files);
        }
    }

    /// What the service answers now.
    pub fn files(&self) -> Files {
        self.files.lock().map(|f| f.clone()).unwrap_or_default()
    }
}

async fn serve(State(files): State<Arc<Mutex<Files>>>, Path(file): Path<String>) -> Response {
    let Ok(f) = files.lock().map(|f| f.clone()) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let body = match file.as_str() {
        "meta_data.json" => f.meta_data,
        "vendor_data2.json" => f.vendor_data2,
        "network_data.json" => f.network_data,
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// Writes `files` into a config drive rooted at `dir`: `dir/openstack/latest/<file>`.
pub fn write_config_drive(dir: &std::path::Path, files: &Files) -> anyhow::Result<()> {
    let latest = dir.join("openstack").join("latest");
    std::fs::create_dir_all(&latest)?;
    for (name, value) in [
        ("meta_data.json", &files.meta_data),
        ("vendor_data2.json", &files.vendor_data2),
        ("network_data.json", &files.network_data),
    ] {
        std::fs::write(latest.join(name), serde_json::to_vec_pretty(value)?)?;
    }
    Ok(())
}
