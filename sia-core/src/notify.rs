//! systemd readiness (`sd_notify(3)` protocol): one datagram `READY=1` to the socket named by
//! `$NOTIFY_SOCKET`. Abstract sockets (`@name`) are supported through std's Linux
//! `SocketAddrExt::from_abstract_name`, no libc needed.

use crate::error::{Error, Result};
use std::os::unix::net::{SocketAddr, UnixDatagram};

/// Sends `READY=1` when `notify_socket` (the value of `$NOTIFY_SOCKET`) is set; returns whether
/// anything was sent.
pub fn ready(notify_socket: Option<&str>) -> Result<bool> {
    match notify_socket.filter(|s| !s.is_empty()) {
        Some(socket) => send(socket, "READY=1\n").map(|()| true),
        None => Ok(false),
    }
}

/// Sends one notification message to `socket` (a path, or `@name` for an abstract socket).
pub fn send(socket: &str, message: &str) -> Result<()> {
    let err = |e: std::io::Error| Error::io("notify", socket, e);
    let addr = if let Some(name) = socket.strip_prefix('@') {
        use std::os::linux::net::SocketAddrExt;
        SocketAddr::from_abstract_name(name.as_bytes()).map_err(err)?
    } else {
        SocketAddr::from_pathname(socket).map_err(err)?
    };
    let sock = UnixDatagram::unbound().map_err(err)?;
    sock.send_to_addr(message.as_bytes(), &addr).map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_reaches_a_path_socket() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("notify.sock");
        let rx = UnixDatagram::bind(&p).unwrap();
        assert!(ready(Some(p.to_str().unwrap())).unwrap());
        let mut buf = [0u8; 64];
        let n = rx.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1\n");
        assert!(!ready(None).unwrap());
        assert!(!ready(Some("")).unwrap());
    }

    #[test]
    fn ready_reaches_an_abstract_socket() {
        use std::os::linux::net::SocketAddrExt;
        let name = format!("sia-core-test-{}", std::process::id());
        let rx = UnixDatagram::bind_addr(&SocketAddr::from_abstract_name(name.as_bytes()).unwrap())
            .unwrap();
        assert!(ready(Some(&format!("@{name}"))).unwrap());
        let mut buf = [0u8; 64];
        let n = rx.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1\n");
    }

    #[test]
    fn a_missing_socket_is_an_error() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("none.sock");
        assert!(ready(Some(p.to_str().unwrap())).is_err());
    }
}
