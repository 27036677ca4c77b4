use super::*;
use crate::testutil::{ec_key_pem, self_signed};
use std::fs;

struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = self_signed("sys.openstack.cluster1");
        let (ca, _) = self_signed("zts-ca");
        fs::write(dir.path().join("tls.pem"), cert).unwrap();
        fs::write(dir.path().join("tls.key"), key).unwrap();
        fs::write(dir.path().join("ca.pem"), ca).unwrap();
        fs::write(dir.path().join("signing.key"), ec_key_pem()).unwrap();
        fs::write(dir.path().join("junk"), "not PEM").unwrap();
        Self { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    fn good_toml(&self) -> String {
        format!(
            r#"
listen = "127.0.0.1:0"
provider_name = "sys.openstack.Cluster1"
tls_cert_file = "{}"
tls_key_file = "{}"
client_ca_file = "{}"
signing_key_file = "{}"
keystone_url = "http://127.0.0.1:5000/v3/"
keystone_user = "athenz-provider"
keystone_password = "s3cret-pw"
keystone_project = "service"
keystone_user_domain = "Default"
vendordata_role = "vendordata"

[bindings]
"0123456789abcdef" = "Weather"
"#,
            self.path("tls.pem"),
            self.path("tls.key"),
            self.path("ca.pem"),
            self.path("signing.key"),
        )
    }
}

#[test]
fn a_good_config_passes_with_defaults() {
    let f = Files::new();
    let c = RawConfig::from_toml(&f.good_toml())
        .unwrap()
        .validate()
        .unwrap();
    assert_eq!(c.provider_name, "sys.openstack.cluster1");
    assert_eq!(c.signing_key_id, "0");
    assert_eq!(c.token_lifetime, DEFAULT_TOKEN_LIFETIME);
    assert_eq!(c.keystone.url, "http://127.0.0.1:5000/v3");
    assert_eq!(c.nova_url, None);
    assert_eq!(c.bindings["0123456789abcdef"].as_str(), "weather");
    assert_eq!(c.signing_key.jws_alg(), "ES256");
    // Secrets stay out of Debug output.
    let debug = format!("{c:?}");
    assert!(!debug.contains("s3cret-pw"), "{debug}");
    let raw = RawConfig::from_toml(&f.good_toml()).unwrap();
    assert!(!format!("{raw:?}").contains("s3cret-pw"));
}

#[test]
fn load_reads_the_file() {
    let f = Files::new();
    let path = f.dir.path().join("p.toml");
    let toml = f.good_toml().replace(
        "[bindings]",
        "nova_url = \"https://nova.example.com:8774/v2.1\"\nsigning_key_id = \"k1\"\n\
         token_lifetime = 60\n\n[bindings]\np2 = \"sports.team\"",
    );
    fs::write(&path, toml).unwrap();
    let c = Config::load(&path).unwrap();
    assert_eq!(
        c.nova_url.as_deref(),
        Some("https://nova.example.com:8774/v2.1")
    );
    assert_eq!(c.signing_key_id, "k1");
    assert_eq!(c.token_lifetime, 60);
    assert_eq!(c.bindings["p2"].as_str(), "sports.team");
    let missing = Config::load(&f.dir.path().join("nope.toml")).unwrap_err();
    assert!(missing[0].contains("nope.toml"), "{missing:?}");
}

#[test]
fn unknown_keys_are_refused() {
    let f = Files::new();
    // Before any table: after `[bindings]` it would be a binding.
    let err =
        RawConfig::from_toml(&format!("keystone_pasword = \"x\"\n{}", f.good_toml())).unwrap_err();
    assert!(err.contains("keystone_pasword"), "{err}");
}

#[test]
fn a_bad_config_reports_every_error() {
    let f = Files::new();
    let toml = format!(
        r#"
listen = "somewhere"
provider_name = "not a name"
tls_cert_file = "{missing}"
tls_key_file = "{junk}"
client_ca_file = "{junk}"
signing_key_file = "{junk}"
signing_key_id = ""
token_lifetime = 0
keystone_url = "ftp://keystone/v3"
keystone_user = ""
keystone_project = "service"
vendordata_role = " "
nova_url = "not a url"

[bindings]
"" = "weather"
p1 = "bad domain!"
"#,
        missing = f.path("missing.pem"),
        junk = f.path("junk"),
    );
    let errors = RawConfig::from_toml(&toml).unwrap().validate().unwrap_err();
    let all = errors.join("\n");
    for needle in [
        "listen:",
        "provider_name:",
        "tls_cert_file:",
        "tls_key_file:",
        "client_ca_file:",
        "signing_key_file:",
        "signing_key_id:",
        "token_lifetime:",
        "keystone_url:",
        "keystone_user:",
        "keystone_password is required",
        "keystone_user_domain is required",
        "vendordata_role:",
        "nova_url:",
        "bindings: a project id must not be empty",
        "bindings.p1:",
    ] {
        assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
    }
    assert_eq!(errors.len(), 16, "{all}");
}

#[test]
fn empty_file_names_every_required_key() {
    let errors = RawConfig::default().validate().unwrap_err();
    // Every required key but provider_name, which defaults to the certificate's CN.
    assert_eq!(errors.len(), 11, "{errors:#?}");
    assert!(
        !errors.iter().any(|e| e.contains("provider_name")),
        "{errors:#?}"
    );
}

#[test]
fn provider_name_defaults_to_the_certificate_cn() {
    let f = Files::new();
    let without = f
        .good_toml()
        .replace("provider_name = \"sys.openstack.Cluster1\"\n", "");
    assert!(!without.contains("provider_name"));
    let c = RawConfig::from_toml(&without).unwrap().validate().unwrap();
    assert_eq!(c.provider_name, "sys.openstack.cluster1");
}
