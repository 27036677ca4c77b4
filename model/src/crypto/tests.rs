use super::*;
use aws_lc_rs::encoding::Pkcs8V1Der;
use aws_lc_rs::rsa::KeySize;
use std::sync::OnceLock;

fn ec_pem() -> String {
    rcgen::KeyPair::generate().unwrap().serialize_pem()
}

/// One RSA key for the whole test run: generation costs ~0.1–1 s.
fn rsa_pem() -> &'static str {
    static PEM: OnceLock<String> = OnceLock::new();
    PEM.get_or_init(|| {
        let pair = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
        let der: Pkcs8V1Der<'static> = pair.as_der().unwrap();
        pem_encode("PRIVATE KEY", der.as_ref())
    })
}

fn keys() -> Vec<SigningKey> {
    vec![
        SigningKey::from_pem(&ec_pem()).unwrap(),
        SigningKey::from_pem(rsa_pem()).unwrap(),
    ]
}

#[test]
fn loads_ec_and_rsa_pkcs8() {
    let ec = SigningKey::from_pem(&ec_pem()).unwrap();
    assert_eq!(ec.algorithm(), KeyAlgorithm::Ec);
    assert_eq!(ec.jws_alg(), "ES256");
    let rsa = SigningKey::from_pem(rsa_pem()).unwrap();
    assert_eq!(rsa.algorithm(), KeyAlgorithm::Rsa);
    assert_eq!(rsa.jws_alg(), "RS256");
}

#[test]
fn debug_shows_no_key_material() {
    let ec = SigningKey::from_pem(&ec_pem()).unwrap();
    assert_eq!(format!("{ec:?}"), "SigningKey { algorithm: Ec }");
    let rsa = SigningKey::from_pem(rsa_pem()).unwrap();
    assert_eq!(format!("{rsa:?}"), "SigningKey { algorithm: Rsa }");
    assert_eq!(
        format!("{:?}", rsa.verifying_key()),
        "VerifyingKey { algorithm: Rsa }"
    );
}

#[test]
fn sec1_ec_private_key_loads() {
    let pkcs8 = SigningKey::from_pem(&ec_pem()).unwrap();
    let SigningInner::Ec { asn1, .. } = &pkcs8.inner else {
        panic!("not EC")
    };
    let sec1 = asn1.private_key().as_der().unwrap();
    let pem = pem_encode("EC PRIVATE KEY", sec1.as_ref());
    let with_params = format!(
        "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n{pem}"
    );
    let key = SigningKey::from_pem(&with_params).unwrap();
    assert_eq!(key.algorithm(), KeyAlgorithm::Ec);
    assert_eq!(key.public_key_pem(), pkcs8.public_key_pem());
}

#[test]
fn asn1_sign_verify_roundtrip_and_tamper() {
    for key in keys() {
        let vk = key.verifying_key();
        let sig = key.sign_asn1(b"canonical json").unwrap();
        vk.verify_asn1(b"canonical json", &sig).unwrap();
        assert_eq!(
            vk.verify_asn1(b"canonical jsoN", &sig),
            Err(CryptoError::BadSignature)
        );
        let mut bad = sig.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(
            vk.verify_asn1(b"canonical json", &bad),
            Err(CryptoError::BadSignature)
        );
        // ybase64 string form.
        let y = key.sign_ybase64(b"doc").unwrap();
        vk.verify_ybase64(b"doc", &y).unwrap();
        assert!(vk.verify_ybase64(b"doc2", &y).is_err());
        assert!(vk.verify_ybase64(b"doc", "not+ybase64").is_err());
    }
}

#[test]
fn ec_asn1_is_der_and_jws_is_fixed() {
    let key = SigningKey::from_pem(&ec_pem()).unwrap();
    let der = key.sign_asn1(b"m").unwrap();
    assert_eq!(der[0], 0x30, "DER SEQUENCE");
    assert!((8..=72).contains(&der.len()));
    let fixed = key.sign_jws(b"m").unwrap();
    assert_eq!(fixed.len(), 64);
    let vk = key.verifying_key();
    vk.verify_jws("ES256", b"m", &fixed).unwrap();
    // The two forms are not interchangeable at this level.
    assert!(vk.verify_asn1(b"m", &fixed).is_err());
    assert!(vk.verify_jws("ES256", b"m", &der).is_err());
}

#[test]
fn jws_sign_verify_roundtrip_and_alg_checks() {
    for key in keys() {
        let vk = key.verifying_key();
        let sig = key.sign_jws(b"input").unwrap();
        vk.verify_jws(key.jws_alg(), b"input", &sig).unwrap();
        assert_eq!(
            vk.verify_jws(key.jws_alg(), b"inpuT", &sig),
            Err(CryptoError::BadSignature)
        );
        let other = if key.algorithm() == KeyAlgorithm::Ec {
            "RS256"
        } else {
            "ES256"
        };
        assert!(matches!(
            vk.verify_jws(other, b"input", &sig),
            Err(CryptoError::AlgorithmMismatch { .. })
        ));
        for bad_alg in ["none", "HS256", "es256", ""] {
            assert!(matches!(
                vk.verify_jws(bad_alg, b"input", &sig),
                Err(CryptoError::UnsupportedAlgorithm(_))
            ));
        }
    }
}

#[test]
fn wrong_key_fails() {
    let a = SigningKey::from_pem(&ec_pem()).unwrap();
    let b = SigningKey::from_pem(&ec_pem()).unwrap();
    let sig = a.sign_asn1(b"msg").unwrap();
    assert_eq!(
        b.verifying_key().verify_asn1(b"msg", &sig),
        Err(CryptoError::BadSignature)
    );
    let rsa = SigningKey::from_pem(rsa_pem()).unwrap();
    assert_eq!(
        rsa.verifying_key().verify_asn1(b"msg", &sig),
        Err(CryptoError::BadSignature)
    );
    let jws = sign_flattened_jws(&a, "0", b"{}", JwsSignatureFormat::P1363).unwrap();
    assert_eq!(
        verify_flattened_jws(&jws, b.verifying_key()),
        Err(CryptoError::BadSignature)
    );
}

#[test]
fn public_pem_parses_back_and_ybase64_form_too() {
    for key in keys() {
        let pem = key.public_key_pem();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        assert!(pem.ends_with("-----END PUBLIC KEY-----\n"));
        assert!(pem.lines().all(|l| l.len() <= 64));
        let vk = VerifyingKey::from_pem(&pem).unwrap();
        assert_eq!(vk.algorithm(), key.algorithm());
        assert_eq!(&vk, key.verifying_key());
        let y = ybase64::encode(pem.as_bytes());
        let from_y = VerifyingKey::from_ybase64_pem(&y).unwrap();
        assert_eq!(from_y, vk);
        assert_eq!(vk.to_ybase64_pem(), y);
        let sig = key.sign_asn1(b"x").unwrap();
        from_y.verify_asn1(b"x", &sig).unwrap();
    }
    let ec = SigningKey::from_pem(&ec_pem()).unwrap();
    // P-256 SPKI: 26-byte fixed prefix + 65-byte uncompressed point.
    assert_eq!(ec.verifying_key().spki_der().len(), 91);
}

#[test]
fn rejects_bad_inputs_without_leaking() {
    assert_eq!(
        SigningKey::from_pem("").unwrap_err(),
        CryptoError::Pem("no key of a supported kind found")
    );
    assert!(matches!(
        SigningKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
        Err(CryptoError::InvalidKey(_))
    ));
    assert!(
        SigningKey::from_pem("-----BEGIN PRIVATE KEY-----\nQUJD!!\n-----END PRIVATE KEY-----\n")
            .is_err()
    );
    // A public key is not a private key.
    let public = SigningKey::from_pem(&ec_pem()).unwrap().public_key_pem();
    assert!(SigningKey::from_pem(&public).is_err());
    // … and a private key is not a public key.
    assert!(VerifyingKey::from_pem(rsa_pem()).is_err());
    assert!(VerifyingKey::from_ybase64_pem("abc").is_err());
    assert!(VerifyingKey::from_ybase64_pem(&ybase64::encode(&[0xff, 0xfe])).is_err());
    // Error text never quotes the PEM body.
    let secret_body = "SECRETSECRETSECRET";
    let err = SigningKey::from_pem(&format!(
        "-----BEGIN PRIVATE KEY-----\n{secret_body}\n-----END PRIVATE KEY-----\n"
    ))
    .unwrap_err()
    .to_string();
    assert!(!err.contains(secret_body), "{err}");
}

#[test]
fn flattened_jws_roundtrip_matches_athenz_layout() {
    for key in keys() {
        for format in [JwsSignatureFormat::Der, JwsSignatureFormat::P1363] {
            let payload = br#"{"name":"sports","modified":"2024-01-01T00:00:00.000Z"}"#;
            let jws = sign_flattened_jws(&key, "zms.dev.0", payload, format).unwrap();
            let header = B64URL.decode(&jws.protected).unwrap();
            assert_eq!(
                String::from_utf8(header).unwrap(),
                format!(r#"{{"kid":"zms.dev.0","alg":"{}"}}"#, key.jws_alg())
            );
            assert_eq!(
                jws.header,
                BTreeMap::from([("kid".to_owned(), "zms.dev.0".to_owned())])
            );
            assert!(!jws.payload.contains('=') && !jws.signature.contains('='));
            assert_eq!(
                jws.protected_key_id().unwrap().as_deref(),
                Some("zms.dev.0")
            );
            let sig = B64URL.decode(&jws.signature).unwrap();
            if key.algorithm() == KeyAlgorithm::Ec {
                match format {
                    JwsSignatureFormat::Der => assert_eq!(sig[0], 0x30),
                    JwsSignatureFormat::P1363 => assert_eq!(sig.len(), 64),
                }
            }
            assert_eq!(
                verify_flattened_jws(&jws, key.verifying_key()).unwrap(),
                payload
            );
            // Wire field names.
            let json: serde_json::Value = serde_json::to_value(&jws).unwrap();
            let mut names: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
            names.sort();
            assert_eq!(names, ["header", "payload", "protected", "signature"]);
            let back: FlattenedJws = serde_json::from_value(json).unwrap();
            assert_eq!(back, jws);
        }
    }
}

#[test]
fn flattened_jws_tampering_fails() {
    for key in keys() {
        let vk = key.verifying_key();
        let jws = sign_flattened_jws(&key, "0", br#"{"a":1}"#, JwsSignatureFormat::Der).unwrap();
        let mut tampered = jws.clone();
        tampered.payload = B64URL.encode(br#"{"a":2}"#);
        assert_eq!(
            verify_flattened_jws(&tampered, vk),
            Err(CryptoError::BadSignature)
        );
        // Re-labelling the key id in the protected header breaks the signature too.
        let mut relabel = jws.clone();
        relabel.protected = B64URL.encode(format!(r#"{{"kid":"1","alg":"{}"}}"#, key.jws_alg()));
        assert_eq!(
            verify_flattened_jws(&relabel, vk),
            Err(CryptoError::BadSignature)
        );
        // The unprotected header is not covered, as in RFC 7515.
        let mut unprotected = jws.clone();
        unprotected.header.insert("kid".into(), "other".into());
        assert!(verify_flattened_jws(&unprotected, vk).is_ok());
        let mut garbage = jws.clone();
        garbage.signature = "***".into();
        assert!(matches!(
            verify_flattened_jws(&garbage, vk),
            Err(CryptoError::MalformedJws(_))
        ));
    }
}

#[test]
fn flattened_jws_alg_none_and_mismatch_refused() {
    let key = SigningKey::from_pem(&ec_pem()).unwrap();
    let vk = key.verifying_key();
    let payload = B64URL.encode(b"{}");
    for (header, want_unsupported) in [
        (r#"{"kid":"0","alg":"none"}"#, true),
        (r#"{"kid":"0","alg":"HS256"}"#, true),
        (r#"{"kid":"0","alg":"RS256"}"#, false),
    ] {
        let protected = B64URL.encode(header);
        let jws = FlattenedJws {
            payload: payload.clone(),
            protected,
            header: BTreeMap::new(),
            signature: String::new(),
        };
        let err = verify_flattened_jws(&jws, vk).unwrap_err();
        if want_unsupported {
            assert!(matches!(err, CryptoError::UnsupportedAlgorithm(_)), "{err}");
        } else {
            assert!(
                matches!(err, CryptoError::AlgorithmMismatch { .. }),
                "{err}"
            );
        }
    }
    for header in [
        r#"{"kid":"0"}"#,
        r#"{"alg":256}"#,
        "not json",
        r#"{"alg":"ES256","crit":["b64"]}"#,
    ] {
        let jws = FlattenedJws {
            payload: payload.clone(),
            protected: B64URL.encode(header),
            header: BTreeMap::new(),
            signature: String::new(),
        };
        assert!(matches!(
            verify_flattened_jws(&jws, vk),
            Err(CryptoError::MalformedJws(_))
        ));
    }
}

#[test]
fn key_id_is_json_escaped_in_protected_header() {
    let key = SigningKey::from_pem(&ec_pem()).unwrap();
    let jws = sign_flattened_jws(&key, "a\"b", b"x", JwsSignatureFormat::Der).unwrap();
    assert_eq!(jws.protected_key_id().unwrap().as_deref(), Some("a\"b"));
    verify_flattened_jws(&jws, key.verifying_key()).unwrap();
}

/// Runs the openssl CLI (installed by `scripts/test`); a missing CLI fails the test.
fn openssl(args: &[&str], dir: &std::path::Path) -> Option<std::process::Output> {
    let out = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output();
    Some(out.unwrap_or_else(|err| panic!("running openssl (scripts/test installs it): {err}")))
}

fn scratch_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("modelx-crypto-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn openssl_verifies_our_der_signatures() {
    let dir = scratch_dir("verify");
    for (name, key) in [
        ("ec", SigningKey::from_pem(&ec_pem()).unwrap()),
        ("rsa", SigningKey::from_pem(rsa_pem()).unwrap()),
    ] {
        let msg = br#"{"domain":"sports","policies":[]}"#;
        std::fs::write(dir.join("msg"), msg).unwrap();
        std::fs::write(dir.join("pub.pem"), key.public_key_pem()).unwrap();
        std::fs::write(dir.join("sig.bin"), key.sign_asn1(msg).unwrap()).unwrap();
        let Some(out) = openssl(
            &[
                "dgst",
                "-sha256",
                "-verify",
                "pub.pem",
                "-signature",
                "sig.bin",
                "msg",
            ],
            &dir,
        ) else {
            eprintln!("openssl CLI not found: skipping interop check");
            return;
        };
        assert!(
            out.status.success(),
            "{name}: openssl rejected our signature: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("Verified OK"));
        // And a signature over other bytes is refused by openssl too.
        std::fs::write(dir.join("sig.bin"), key.sign_asn1(b"other").unwrap()).unwrap();
        let out = openssl(
            &[
                "dgst",
                "-sha256",
                "-verify",
                "pub.pem",
                "-signature",
                "sig.bin",
                "msg",
            ],
            &dir,
        )
        .unwrap();
        assert!(
            !out.status.success(),
            "{name}: openssl accepted a wrong signature"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn we_load_openssl_keys_and_verify_openssl_signatures() {
    let dir = scratch_dir("load");
    let cases: [(&str, &[&str]); 3] = [
        (
            "ec-sec1",
            &[
                "ecparam",
                "-name",
                "prime256v1",
                "-genkey",
                "-out",
                "key.pem",
            ],
        ),
        (
            "rsa-pkcs1",
            &["genrsa", "-traditional", "-out", "key.pem", "2048"],
        ),
        (
            "ec-pkcs8",
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-out",
                "key.pem",
            ],
        ),
    ];
    for (name, args) in cases {
        let Some(out) = openssl(args, &dir) else {
            eprintln!("openssl CLI not found: skipping interop check");
            return;
        };
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let pem = std::fs::read_to_string(dir.join("key.pem")).unwrap();
        let key = SigningKey::from_pem(&pem).unwrap_or_else(|e| panic!("{name}: {e}"));
        // openssl's public key export equals ours.
        let out = openssl(&["pkey", "-in", "key.pem", "-pubout"], &dir).unwrap();
        assert!(out.status.success());
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            key.public_key_pem(),
            "{name}"
        );
        // openssl signs (DER), we verify.
        std::fs::write(dir.join("msg"), b"hello athenz").unwrap();
        let out = openssl(
            &[
                "dgst", "-sha256", "-sign", "key.pem", "-out", "sig.bin", "msg",
            ],
            &dir,
        )
        .unwrap();
        assert!(out.status.success());
        let sig = std::fs::read(dir.join("sig.bin")).unwrap();
        key.verifying_key()
            .verify_asn1(b"hello athenz", &sig)
            .unwrap();
    }
    // Keys outside the supported set are refused with a clear reason.
    let out = openssl(&["genrsa", "-out", "small.pem", "1024"], &dir).unwrap();
    assert!(out.status.success());
    let small = std::fs::read_to_string(dir.join("small.pem")).unwrap();
    assert!(matches!(
        SigningKey::from_pem(&small),
        Err(CryptoError::InvalidKey(_))
    ));
    let out = openssl(&["pkey", "-in", "small.pem", "-pubout"], &dir).unwrap();
    let err = VerifyingKey::from_pem(&String::from_utf8(out.stdout).unwrap()).unwrap_err();
    assert!(err.to_string().contains("1024 bits"), "{err}");
    let p384 = [
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-384",
        "-out",
        "p384.pem",
    ];
    assert!(openssl(&p384, &dir).unwrap().status.success());
    let p384 = std::fs::read_to_string(dir.join("p384.pem")).unwrap();
    assert!(matches!(
        SigningKey::from_pem(&p384),
        Err(CryptoError::InvalidKey(_))
    ));
    let _ = std::fs::remove_dir_all(&dir);
}
