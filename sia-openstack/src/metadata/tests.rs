use super::*;
use std::path::Path;

const META: &str = r#"{"uuid": "0d3f1c2e-5b7a-4c1d-9e8f-123456789abc", "hostname": "vm1",
    "name": "vm1", "project_id": "p-1234", "availability_zone": "nova",
    "meta": {"athenz_domain": "weather", "athenz_service": "api", "other": "x"}}"#;
const VENDOR: &str = r#"{"athenz": {"attestation": "eyJhbGciOiJFUzI1NiJ9.e30.sig"},
    "other": {"x": 1}}"#;
const NETWORK: &str = r#"{"links": [{"id": "tap1", "type": "ovs"}],
    "networks": [
        {"id": "n0", "type": "ipv4", "link": "tap1", "ip_address": "10.0.0.5",
         "netmask": "255.255.255.0"},
        {"id": "n1", "type": "ipv4_dhcp", "link": "tap1"},
        {"id": "n2", "type": "ipv6", "link": "tap1", "ip_address": "fd00::5"},
        {"id": "n3", "type": "ipv4", "link": "tap1", "ip_address": "10.0.0.5"}
    ],
    "services": []}"#;

/// Writes a config drive with the given files (`None` leaves a file out).
fn drive(dir: &Path, meta: Option<&str>, vendor: Option<&str>, network: Option<&str>) {
    let latest = dir.join(LATEST);
    std::fs::create_dir_all(&latest).unwrap();
    for (name, text) in [
        (META_DATA, meta),
        (VENDOR_DATA, vendor),
        (NETWORK_DATA, network),
    ] {
        if let Some(t) = text {
            std::fs::write(latest.join(name), t).unwrap();
        }
    }
}

async fn read(dir: &Path) -> Result<Instance> {
    Reader::new(Source::ConfigDrive(dir.to_path_buf()))
        .unwrap()
        .instance()
        .await
}

#[tokio::test]
async fn a_config_drive_gives_everything() {
    let d = tempfile::tempdir().unwrap();
    drive(d.path(), Some(META), Some(VENDOR), Some(NETWORK));
    let i = read(d.path()).await.unwrap();
    assert_eq!(
        i.meta,
        MetaData {
            uuid: "0d3f1c2e-5b7a-4c1d-9e8f-123456789abc".into(),
            hostname: Some("vm1".into()),
            project_id: Some("p-1234".into()),
            domain: Some("weather".into()),
            service: Some("api".into()),
        }
    );
    assert_eq!(i.token, "eyJhbGciOiJFUzI1NiJ9.e30.sig");
    let ips: Vec<IpAddr> = vec!["10.0.0.5".parse().unwrap(), "fd00::5".parse().unwrap()];
    assert_eq!(i.ips, ips, "DHCP networks skipped, duplicates dropped");
    assert!(
        !format!("{i:?}").contains("eyJ"),
        "Debug never shows the token"
    );
}

#[tokio::test]
async fn a_missing_token_is_named() {
    let d = tempfile::tempdir().unwrap();
    drive(
        d.path(),
        Some(META),
        Some(r#"{"other": {}}"#),
        Some(NETWORK),
    );
    let e = read(d.path()).await.unwrap_err().to_string();
    assert!(
        e.starts_with("metadata ")
            && e.contains("openstack/latest/vendor_data2.json: no \"athenz\" entry")
            && e.contains("vendordata_dynamic_targets"),
        "{e}"
    );
    drive(
        d.path(),
        Some(META),
        Some(r#"{"athenz": {}}"#),
        Some(NETWORK),
    );
    let e = read(d.path()).await.unwrap_err().to_string();
    assert!(
        e.contains("vendor_data2.json: no \"athenz.attestation\""),
        "{e}"
    );
    drive(
        d.path(),
        Some(META),
        Some(r#"{"athenz": {"attestation": 7}}"#),
        None,
    );
    let e = read(d.path()).await.unwrap_err().to_string();
    assert!(e.contains("\"athenz.attestation\" is not a string"), "{e}");
}

#[tokio::test]
async fn a_missing_uuid_is_named() {
    let d = tempfile::tempdir().unwrap();
    drive(
        d.path(),
        Some(r#"{"hostname": "vm1", "meta": {}}"#),
        Some(VENDOR),
        Some(NETWORK),
    );
    let e = read(d.path()).await.unwrap_err().to_string();
    assert!(e.contains("meta_data.json: no \"uuid\""), "{e}");
}

#[tokio::test]
async fn malformed_json_is_named() {
    let d = tempfile::tempdir().unwrap();
    for (meta, vendor, network, file) in [
        ("{not json", VENDOR, NETWORK, META_DATA),
        (META, "[1, 2", NETWORK, VENDOR_DATA),
        (META, VENDOR, "\"a string\"", NETWORK_DATA),
    ] {
        drive(d.path(), Some(meta), Some(vendor), Some(network));
        let e = read(d.path()).await.unwrap_err().to_string();
        assert!(e.contains(&format!("{file}: not ")), "{file}: {e}");
    }
}

#[tokio::test]
async fn a_missing_file_is_named() {
    let d = tempfile::tempdir().unwrap();
    drive(d.path(), Some(META), Some(VENDOR), None);
    let e = read(d.path()).await.unwrap_err().to_string();
    let want = d.path().join(LATEST).join(NETWORK_DATA);
    assert!(e.contains(&want.display().to_string()), "{e}");
}

#[test]
fn field_types_and_addresses_are_checked() {
    let e = parse_meta_data(r#"{"uuid": "u", "meta": {"athenz_domain": 3}}"#).unwrap_err();
    assert_eq!(e, "\"meta.athenz_domain\" is not a string");
    let e = parse_meta_data(r#"{"uuid": "u", "meta": []}"#).unwrap_err();
    assert_eq!(e, "\"meta\" is not an object");
    let m = parse_meta_data(r#"{"uuid": " u ", "meta": {"athenz_service": ""}}"#).unwrap();
    assert_eq!((m.uuid.as_str(), m.service), ("u", None));
    let e = parse_network_data(r#"{"networks": [{}, {"ip_address": "10.0.0.300"}]}"#).unwrap_err();
    assert_eq!(
        e,
        "networks[1].ip_address \"10.0.0.300\" is not an IP address"
    );
    assert_eq!(parse_network_data("{}").unwrap(), Vec::<IpAddr>::new());
    // The token is passed on exactly as served.
    let t = parse_vendor_data(r#"{"athenz": {"attestation": " a.b.c\n"}}"#).unwrap();
    assert_eq!(t, " a.b.c\n");
}

#[tokio::test]
async fn an_unreachable_service_is_named() {
    let r = Reader::new(Source::Service("http://127.0.0.1:1/".into())).unwrap();
    let e = r.instance().await.unwrap_err().to_string();
    assert!(
        e.starts_with("metadata http://127.0.0.1:1/openstack/latest/meta_data.json: "),
        "{e}"
    );
}
