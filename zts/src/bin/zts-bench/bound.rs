//! The in-process bound, on one thread and on every core at once: what one refresh costs at least, with ZTS's own code and
//! keys. Per operation: parse and verify the CSR (`zts::csr::Csr::parse`, rcgen `from_der`), a
//! random serial and the certificate signed by the same CA with the same settings
//! (`zts::signer::CertSigner::sign`, PEM out), and one full TLS 1.3 handshake with a client
//! certificate, both ends in memory (rustls `ClientConnection`/`ServerConnection` pumped through a
//! buffer; the server end is ZTS's own `ServerConfig` with its EC P-256 certificate, the client
//! end presents an EC P-256 identity this CA signed). No sockets, no HTTP, no store.

use crate::measure::{CpuSample, Pids, Stats};
use crate::report::Row;
use anyhow::{Result, ensure};
use rustls::{ClientConfig, ClientConnection, ServerConfig, ServerConnection};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use zts::signer::{CertSigner, Usage, new_serial};

/// The bound's figures: the usual stats plus the mean of each part.
pub(crate) struct BoundStats {
    pub(crate) threads: usize,
    pub(crate) stats: Stats,
    pub(crate) parse_ns: f64,
    pub(crate) sign_ns: f64,
    pub(crate) handshake_ns: f64,
}

struct Ends {
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
    name: ServerName<'static>,
}

fn ends(
    dir: &Path,
    signer: &CertSigner,
    csr_pem: &str,
    key: PrivateKeyDer<'static>,
) -> Result<Ends> {
    let server = server_common::tls::server_config(
        &dir.join(zts::dev::ZTS_CERT),
        &dir.join(zts::dev::ZTS_KEY),
        &[dir.join("ca.cert.pem")],
    )?;
    let csr = zts::csr::Csr::parse(csr_pem)?;
    let leaf = signer.sign(&csr, Usage::Both, 60, &new_serial()?)?;
    let leaf = CertificateDer::from_pem_slice(leaf.as_bytes())?;
    let roots = crate::client::roots(&dir.join("ca.cert.pem"))?;
    let mut client = ClientConfig::builder_with_provider(server_common::tls::provider())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_client_auth_cert(vec![leaf], key)?;
    client.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Ends {
        client: Arc::new(client),
        server,
        name: ServerName::try_from("127.0.0.1")?,
    })
}

/// One full handshake; the server must end with the client's certificate.
fn handshake(e: &Ends, buf: &mut Vec<u8>) -> Result<()> {
    let mut c = ClientConnection::new(Arc::clone(&e.client), e.name.clone())?;
    let mut s = ServerConnection::new(Arc::clone(&e.server))?;
    loop {
        let mut moved = false;
        while c.wants_write() {
            buf.clear();
            c.write_tls(&mut *buf)?;
            let mut rd = &buf[..];
            while !rd.is_empty() {
                s.read_tls(&mut rd)?;
                s.process_new_packets()?;
            }
            moved = true;
        }
        while s.wants_write() {
            buf.clear();
            s.write_tls(&mut *buf)?;
            let mut rd = &buf[..];
            while !rd.is_empty() {
                c.read_tls(&mut rd)?;
                c.process_new_packets()?;
            }
            moved = true;
        }
        if !moved {
            break;
        }
    }
    ensure!(
        !c.is_handshaking() && !s.is_handshaking() && s.peer_certificates().is_some(),
        "in-memory handshake did not complete with a client certificate"
    );
    Ok(())
}

/// One thread's loop: warms up, then runs until `end`; per-operation times and summed parts.
fn thread_loop(
    dir: &Path,
    csr_pem: &str,
    key: PrivateKeyDer<'static>,
    start: Instant,
    end: Instant,
) -> Result<(Vec<u64>, [u64; 3])> {
    let signer = CertSigner::load(&dir.join("ca.cert.pem"), &dir.join("ca.key.pem"))?;
    let e = ends(dir, &signer, csr_pem, key)?;
    let mut buf = Vec::with_capacity(16 * 1024);
    let mut one = |parts: &mut [u64; 3]| -> Result<()> {
        let t0 = Instant::now();
        let csr = zts::csr::Csr::parse(std::hint::black_box(csr_pem))?;
        let t1 = Instant::now();
        let pem = signer.sign(&csr, Usage::Both, 60, &new_serial()?)?;
        std::hint::black_box(pem);
        let t2 = Instant::now();
        handshake(&e, &mut buf)?;
        let t3 = Instant::now();
        let ns = |a: Instant, b: Instant| u64::try_from((b - a).as_nanos()).unwrap_or(u64::MAX);
        parts[0] += ns(t0, t1);
        parts[1] += ns(t1, t2);
        parts[2] += ns(t2, t3);
        Ok(())
    };
    let mut parts = [0u64; 3];
    while Instant::now() < start {
        one(&mut parts)?;
    }
    let mut parts = [0u64; 3];
    let mut ns = Vec::with_capacity(1 << 16);
    loop {
        let t = Instant::now();
        if t >= end {
            break;
        }
        one(&mut parts)?;
        ns.push(u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX));
    }
    Ok((ns, parts))
}

/// Runs the bound for `duration` on `threads` threads at once (after a short warmup).
pub(crate) fn run(
    dir: &Path,
    csr_pem: &str,
    key: &PrivateKeyDer<'static>,
    duration: Duration,
    threads: usize,
) -> Result<Row> {
    let start = Instant::now() + Duration::from_millis(300);
    let end = start + duration;
    let results = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let key = key.clone_key();
                scope.spawn(move || thread_loop(dir, csr_pem, key, start, end))
            })
            .collect();
        std::thread::sleep(start.saturating_duration_since(Instant::now()));
        let cpu0 = CpuSample::take(&Pids::default());
        let results: Vec<_> = handles.into_iter().map(|h| h.join()).collect();
        (cpu0, results)
    });
    let (cpu0, results) = results;
    let cpu = CpuSample::take(&Pids::default()).since(&cpu0);
    let seconds = end.duration_since(start).as_secs_f64();
    let mut all = Vec::new();
    let mut parts = [0u64; 3];
    for r in results {
        let (ns, p) = r.map_err(|_| anyhow::anyhow!("bound thread panicked"))??;
        all.extend(ns);
        for (a, b) in parts.iter_mut().zip(p) {
            *a += b;
        }
    }
    let n = all.len().max(1) as f64;
    Ok(Row::Bound(BoundStats {
        threads,
        parse_ns: parts[0] as f64 / n,
        sign_ns: parts[1] as f64 / n,
        handshake_ns: parts[2] as f64 / n,
        stats: Stats::new(all, seconds, 0, cpu),
    }))
}
