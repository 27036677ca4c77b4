//! IMDS client against a tiny in-test metadata server on 127.0.0.1 that behaves as AWS documents:
//! `PUT /latest/api/token` needs `X-aws-ec2-metadata-token-ttl-seconds` and answers the token
//! with the TTL echoed in the same header; with IMDSv2 required, a GET without a valid token is
//! 401; with IMDSv2 disabled, the PUT is refused and plain GETs work.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use sia_aws::ec2::{self, Ec2Attestor};
use sia_aws::imds::Imds;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const TOKEN: &str = "AQAEAFakeToken==";
const DOC: &str = "{\n  \"accountId\" : \"123456789012\",\n  \"instanceId\" : \"i-0123\",\n  \"privateIp\" : \"10.0.0.5\",\n  \"region\" : \"us-west-2\",\n  \"pendingTime\" : \"2026-12-01T10:00:00Z\"\n}";

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    V2Required,
    V1Only,
}

#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    headers: BTreeMap<String, String>,
}

struct Fake {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

async fn start(mode: Mode) -> Fake {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    tokio::spawn(async move {
        loop {
            let (mut s, _) = l.accept().await.unwrap();
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    let n = s.read(&mut chunk).await.unwrap();
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let text = String::from_utf8_lossy(&buf).to_string();
                let mut lines = text.split("\r\n");
                let mut first = lines.next().unwrap().split(' ');
                let method = first.next().unwrap().to_string();
                let path = first.next().unwrap().to_string();
                let headers: BTreeMap<String, String> = lines
                    .take_while(|l| !l.is_empty())
                    .filter_map(|l| l.split_once(':'))
                    .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                    .collect();
                log.lock().unwrap().push(Seen {
                    method: method.clone(),
                    path: path.clone(),
                    headers: headers.clone(),
                });
                let (status, extra, body) = answer(mode, &method, &path, &headers);
                let resp = format!(
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n{body}",
                    body.len()
                );
                s.write_all(resp.as_bytes()).await.unwrap();
            });
        }
    });
    Fake { base, seen }
}

fn answer(
    mode: Mode,
    method: &str,
    path: &str,
    h: &BTreeMap<String, String>,
) -> (&'static str, String, String) {
    if method == "PUT" && path == "/latest/api/token" {
        if mode == Mode::V1Only {
            return ("403 Forbidden", String::new(), String::new());
        }
        let Some(ttl) = h.get("x-aws-ec2-metadata-token-ttl-seconds") else {
            return ("400 Bad Request", String::new(), String::new());
        };
        return (
            "200 OK",
            format!("X-aws-ec2-metadata-token-ttl-seconds: {ttl}\r\n"),
            TOKEN.into(),
        );
    }
    if method != "GET" {
        return ("405 Method Not Allowed", String::new(), String::new());
    }
    if mode == Mode::V2Required
        && h.get("x-aws-ec2-metadata-token").map(String::as_str) != Some(TOKEN)
    {
        return ("401 Unauthorized", String::new(), String::new());
    }
    let body = match path {
        "/latest/dynamic/instance-identity/document" => DOC.to_string(),
        "/latest/dynamic/instance-identity/pkcs7" => "MIAGCSqGSIb3DQEHAqCAMIACAQEx\nCzAJBgUrDgMCGgUA".into(),
        "/latest/meta-data/iam/security-credentials/" => "ec2-profile-role\n".into(),
        "/latest/meta-data/iam/security-credentials/ec2-profile-role" => r#"{"Code":"Success","AccessKeyId":"ASIAPROFILE","SecretAccessKey":"ps","Token":"pt","Expiration":"2030-01-01T00:00:00Z"}"#.into(),
        _ => return ("404 Not Found", String::new(), String::new()),
    };
    ("200 OK", String::new(), body)
}

#[tokio::test]
async fn imdsv2_token_is_requested_with_a_ttl_and_sent_on_every_get() {
    let f = start(Mode::V2Required).await;
    let imds = Imds::new(&f.base).unwrap();
    let s = imds.session().await;
    assert!(s.is_v2());
    assert_eq!(s.get(ec2::DOCUMENT_PATH).await.unwrap(), DOC);
    let creds = ec2::instance_credentials(&s).await.unwrap();
    assert_eq!(creds.access_key_id, "ASIAPROFILE");
    let seen = f.seen.lock().unwrap().clone();
    assert_eq!(seen[0].method, "PUT");
    assert_eq!(
        seen[0].headers["x-aws-ec2-metadata-token-ttl-seconds"],
        "300"
    );
    assert_eq!(seen.len(), 4);
    for g in &seen[1..] {
        assert_eq!(g.method, "GET");
        assert_eq!(g.headers["x-aws-ec2-metadata-token"], TOKEN, "{g:?}");
    }
    assert_eq!(
        seen[3].path,
        "/latest/meta-data/iam/security-credentials/ec2-profile-role"
    );
}

#[tokio::test]
async fn falls_back_to_imdsv1_when_the_token_is_refused() {
    let f = start(Mode::V1Only).await;
    let imds = Imds::new(&f.base).unwrap();
    let s = imds.session().await;
    assert!(!s.is_v2());
    let sig = s.get(ec2::PKCS7_PATH).await.unwrap();
    assert!(sig.starts_with("MIAG"));
    let seen = f.seen.lock().unwrap().clone();
    assert_eq!(seen[1].method, "GET");
    assert!(!seen[1].headers.contains_key("x-aws-ec2-metadata-token"));
}

#[tokio::test]
async fn only_200_is_accepted_and_unreachable_imds_fails() {
    let f = start(Mode::V2Required).await;
    let imds = Imds::new(&f.base).unwrap();
    let e = imds
        .session()
        .await
        .get("/latest/meta-data/nothing")
        .await
        .unwrap_err();
    assert_eq!(e.to_string(), "IMDS /latest/meta-data/nothing: HTTP 404");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dead = Imds::new(&format!("http://127.0.0.1:{port}")).unwrap();
    let s = dead.session().await;
    assert!(!s.is_v2());
    assert!(s.get(ec2::DOCUMENT_PATH).await.is_err());
}

#[tokio::test]
async fn the_attestor_reads_the_document_for_account_selection() {
    let f = start(Mode::V2Required).await;
    let a = Ec2Attestor::new(Imds::new(&f.base).unwrap(), "athenz.aws", None);
    let d = a.document().await.unwrap();
    assert_eq!(
        (
            d.account_id.as_str(),
            d.region.as_str(),
            d.instance_id.as_str()
        ),
        ("123456789012", "us-west-2", "i-0123")
    );
    assert_eq!(d.private_ip.as_deref(), Some("10.0.0.5"));
}
