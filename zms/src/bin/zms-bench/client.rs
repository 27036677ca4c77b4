//! The HTTPS client: one hyper HTTP/1.1 connection over rustls per task, kept alive.

use super::*;

pub(crate) fn client_tls(dir: &Path) -> Result<TlsConnector> {
    let mut roots = RootCertStore::empty();
    for c in zms::tls::load_certs(&dir.join(zms::dev::CA_CERT))? {
        roots.add(c)?;
    }
    let certs = zms::tls::load_certs(&dir.join(zms::dev::ADMIN_CERT))?;
    let key = PrivateKeyDer::from_pem_file(dir.join(zms::dev::ADMIN_KEY))
        .context("reading the admin key")?;
    let mut cfg = rustls::ClientConfig::builder_with_provider(zms::tls::provider())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_client_auth_cert(certs, key)?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsConnector::from(Arc::new(cfg)))
}

pub(crate) struct Conn {
    pub(crate) sender: hyper::client::conn::http1::SendRequest<String>,
    pub(crate) host: String,
    pub(crate) addr: SocketAddr,
    pub(crate) tls: TlsConnector,
}

impl Conn {
    pub(crate) async fn connect(addr: SocketAddr, tls: &TlsConnector) -> Result<Self> {
        let tcp = TcpStream::connect(addr).await?;
        tcp.set_nodelay(true)?;
        let name = ServerName::try_from(addr.ip().to_string())?;
        let stream = tls.connect(name, tcp).await?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Self {
            sender,
            host: addr.to_string(),
            addr,
            tls: tls.clone(),
        })
    }

    pub(crate) async fn reconnect(&mut self) -> Result<()> {
        *self = Self::connect(self.addr, &self.tls).await?;
        Ok(())
    }

    /// GET `path`; status and body.
    pub(crate) async fn get(&mut self, path: &str) -> Result<(u16, Vec<u8>)> {
        self.sender.ready().await?;
        let req = hyper::Request::get(path)
            .header(hyper::header::HOST, &self.host)
            .body(String::new())?;
        let resp = self.sender.send_request(req).await?;
        let status = resp.status().as_u16();
        let mut body = resp.into_body();
        let mut buf = Vec::new();
        while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await
        {
            if let Ok(data) = frame?.into_data() {
                buf.extend_from_slice(&data);
            }
        }
        Ok((status, buf))
    }
}
