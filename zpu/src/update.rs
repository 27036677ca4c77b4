//! One update of one domain (`zpu_client.go` `PolicyUpdater`): ETag from the current file,
//! fetch with `If-None-Match`, verify with ZTS's key, stage and rename.

use crate::config::Settings;
use anyhow::{Context, bail};
use base64::Engine as _;
use model::zts_policy::SignedPolicyData;
use std::path::{Path, PathBuf};
use zpe::{KeyStore, LoadError, PolicyStore, ZpeConfig};

/// What happened to a domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// ZTS said 304: the file is current.
    Unchanged,
    /// A new verified file was written.
    Written,
}

/// `modified` and `expires` of a policy file in either form (not verified: only for the ETag).
pub fn file_times(bytes: &[u8]) -> Option<(model::Timestamp, model::Timestamp)> {
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let data: SignedPolicyData = if let Some(spd) = v.get("signedPolicyData") {
        serde_json::from_value(spd.clone()).ok()?
    } else {
        let payload = v.get("payload")?.as_str()?;
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .ok()?;
        serde_json::from_slice(&raw).ok()?
    };
    Some((data.modified, data.expires))
}

/// The policy file of `domain`.
pub fn policy_file(s: &Settings, domain: &str) -> PathBuf {
    s.policy_dir.join(format!("{domain}.pol"))
}

/// The `If-None-Match` to send: none when forced, when there is no readable file, or when the
/// file expires within `expiryCheck` (so it is re-signed with a later `expires`).
pub fn etag_for(s: &Settings, domain: &str, now_ms: i64) -> Option<String> {
    if s.force_refresh {
        return None;
    }
    let bytes = std::fs::read(policy_file(s, domain)).ok()?;
    let (modified, expires) = file_times(&bytes)?;
    if expires.millis() - now_ms <= s.expiry_check_secs * 1000 {
        return None;
    }
    Some(format!("\"{modified}\""))
}

fn key_store(s: &Settings, extra: &[(String, model::crypto::VerifyingKey)]) -> KeyStore {
    let mut keys = KeyStore::new();
    for (id, k) in s.zts_keys.iter().chain(extra) {
        keys.add_zts_key(id.clone(), k.clone());
    }
    for (id, k) in &s.zms_keys {
        keys.add_zms_key(id.clone(), k.clone());
    }
    keys
}

/// Verifies `bytes` as `domain`'s policy file; an unknown key id is looked up in ZTS's JWKS
/// once (Athenz ZPU fetches unknown ZTS keys from ZTS, whose certificate it has verified).
pub async fn verify(
    client: &reqwest::Client,
    s: &Settings,
    domain: &str,
    bytes: &[u8],
) -> anyhow::Result<()> {
    let config = ZpeConfig {
        check_zms_signature: s.check_zms_signature,
        ..ZpeConfig::default()
    };
    let store = PolicyStore::new(key_store(s, &[]), config.clone());
    let got = match store.load_policy_bytes(bytes) {
        Err(LoadError::UnknownKey { service: "zts", .. }) => {
            let fetched = crate::fetch::zts_jwks(client, &s.zts_url).await?;
            let store = PolicyStore::new(key_store(s, &fetched), config);
            store.load_policy_bytes(bytes)
        }
        other => other,
    }
    .map_err(|e| anyhow::anyhow!("{domain}: policy data refused: {e}"))?;
    if got != domain {
        bail!("{domain}: ZTS returned policies of domain {got}");
    }
    Ok(())
}

/// Checks the policy file of `domain` on disk; returns the seconds until it expires.
pub fn check_file(s: &Settings, domain: &str, now_ms: i64) -> anyhow::Result<i64> {
    let path = policy_file(s, domain);
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let config = ZpeConfig {
        check_zms_signature: s.check_zms_signature,
        ..ZpeConfig::default()
    };
    let got = PolicyStore::new(key_store(s, &[]), config)
        .load_policy_bytes(&bytes)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    if got != domain {
        bail!("{} holds domain {got}", path.display());
    }
    let (_, expires) = file_times(&bytes).context("unreadable expiry")?;
    Ok((expires.millis() - now_ms) / 1000)
}

/// Writes `<temp>/<domain>.tmp`, then renames it over `<policyDir>/<domain>.pol`.
pub fn write(s: &Settings, domain: &str, bytes: &[u8]) -> anyhow::Result<()> {
    for d in [&s.policy_dir, &s.temp_policy_dir] {
        std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
    }
    let tmp = s.temp_policy_dir.join(format!("{domain}.tmp"));
    let dest = policy_file(s, domain);
    write_then_rename(&tmp, &dest, bytes)
}

fn write_then_rename(tmp: &Path, dest: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o644)
        .open(tmp)
        .with_context(|| format!("writing {}", tmp.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(tmp, dest).with_context(|| {
        let _ = std::fs::remove_file(tmp);
        format!("renaming {} to {}", tmp.display(), dest.display())
    })
}

/// Updates one domain.
pub async fn update_domain(
    client: &reqwest::Client,
    s: &Settings,
    domain: &str,
) -> anyhow::Result<Outcome> {
    let etag = etag_for(s, domain, model::Timestamp::now().millis());
    let Some(bytes) = crate::fetch::policies(client, s, domain, etag.as_deref()).await? else {
        return Ok(Outcome::Unchanged);
    };
    verify(client, s, domain, &bytes).await?;
    write(s, domain, &bytes)?;
    Ok(Outcome::Written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::Timestamp;

    fn settings(dir: &Path, force: bool) -> Settings {
        Settings {
            zts_url: "https://zts.example.com/zts/v1".into(),
            domains: vec!["weather".into()],
            policy_dir: dir.to_path_buf(),
            temp_policy_dir: dir.to_path_buf(),
            key_file: None,
            cert_file: None,
            ca_file: None,
            expiry_check_secs: 2880 * 60,
            check_zms_signature: false,
            jws: false,
            policy_versions: Default::default(),
            force_refresh: force,
            zts_keys: Vec::new(),
            zms_keys: Vec::new(),
        }
    }

    fn legacy(modified: i64, expires: i64) -> Vec<u8> {
        serde_json::json!({"signedPolicyData": {"policyData": {"domain": "weather", "policies": []},
            "modified": Timestamp::from_millis(modified), "expires": Timestamp::from_millis(expires)},
            "keyId": "0", "signature": "x"})
        .to_string()
        .into_bytes()
    }

    #[test]
    fn etag_from_the_current_file_unless_it_expires_soon_or_forced() {
        let d = tempfile::tempdir().unwrap();
        let s = settings(d.path(), false);
        let now = 1_700_000_000_000;
        assert_eq!(etag_for(&s, "weather", now), None, "no file");
        let day = 86_400_000;
        write(&s, "weather", &legacy(now - day, now + 7 * day)).unwrap();
        let tag = etag_for(&s, "weather", now).unwrap();
        assert_eq!(tag, format!("\"{}\"", Timestamp::from_millis(now - day)));
        assert_eq!(
            etag_for(&settings(d.path(), true), "weather", now),
            None,
            "forced"
        );
        write(&s, "weather", &legacy(now - day, now + day)).unwrap();
        assert_eq!(
            etag_for(&s, "weather", now),
            None,
            "within expiryCheck (2 days)"
        );
        assert!(
            !d.path().join("weather.tmp").exists(),
            "staging file renamed away"
        );
    }

    #[test]
    fn jws_file_times() {
        let payload = serde_json::json!({"policyData": {"domain": "weather", "policies": []},
            "modified": Timestamp::from_millis(1000), "expires": Timestamp::from_millis(2000)});
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(payload.to_string());
        let file = serde_json::json!({"payload": b64, "protected": "", "signature": ""});
        let (m, e) = file_times(file.to_string().as_bytes()).unwrap();
        assert_eq!((m.millis(), e.millis()), (1000, 2000));
        assert!(file_times(b"not json").is_none());
    }

    #[test]
    fn startup_delay_is_bounded() {
        assert_eq!(crate::startup_delay(None), std::time::Duration::ZERO);
        assert_eq!(crate::startup_delay(Some("x")), std::time::Duration::ZERO);
        for _ in 0..50 {
            assert!(crate::startup_delay(Some("2")) < std::time::Duration::from_secs(120));
            assert!(
                crate::startup_delay(Some("99999")) < std::time::Duration::from_secs(1440 * 60)
            );
        }
    }
}
