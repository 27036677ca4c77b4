//! Processes the bench starts (killed on drop, also when the bench fails), the state directory,
//! and small lookups: free ports, binaries on PATH, the file system SQLite writes to.

use anyhow::{Context, Result};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The state directory, removed at the end when this program created it.
pub(crate) struct StateDir {
    pub(crate) path: PathBuf,
    remove: bool,
}

impl StateDir {
    pub(crate) fn new(given: Option<PathBuf>) -> Result<Self> {
        let (path, remove) = match given {
            Some(p) => (p, false),
            None => {
                let nanos = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.subsec_nanos());
                let name = format!("zts-bench-{}-{nanos}", std::process::id());
                (std::env::temp_dir().join(name), true)
            }
        };
        std::fs::create_dir_all(&path).with_context(|| format!("creating {}", path.display()))?;
        Ok(Self { path, remove })
    }
}

impl Drop for StateDir {
    fn drop(&mut self) {
        if self.remove {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// A child process, killed and reaped on drop.
pub(crate) struct Proc {
    child: Child,
}

impl Proc {
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Starts `cmd` with stdout and stderr appended to `log`.
    pub(crate) fn logged(mut cmd: Command, log: &Path) -> Result<Self> {
        let out =
            std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let err = out.try_clone()?;
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .with_context(|| format!("starting {cmd:?}"))?;
        Ok(Self { child })
    }

    /// Starts one of our servers (stderr inherited) and waits for the stdout line starting with
    /// `marker`, returning the address that follows it (`https://ADDR/...`).
    pub(crate) fn announced(mut cmd: Command, marker: &'static str) -> Result<(Self, SocketAddr)> {
        let mut child = cmd
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {cmd:?}"))?;
        let stdout = child.stdout.take();
        // From here on the guard owns the child, so every early return kills it.
        let guard = Self { child };
        let stdout = stdout.context("server stdout")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // Keeps draining stdout after the address so the server never blocks on the pipe.
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix(marker) {
                    let addr = rest.trim_start_matches("https://");
                    let addr = addr.split('/').next().unwrap_or(addr).to_string();
                    let _ = tx.send(addr);
                }
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(120))
            .with_context(|| format!("no {marker:?} line from the server"))?;
        let addr = addr
            .parse()
            .with_context(|| format!("server address {addr:?}"))?;
        Ok((guard, addr))
    }

    /// Whether the process is still running.
    pub(crate) fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port free right now on 127.0.0.1 (for servers that cannot pick their own).
pub(crate) fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// `given`, or `name` on PATH.
pub(crate) fn find_binary(given: &Option<PathBuf>, name: &str) -> Option<PathBuf> {
    if let Some(p) = given {
        return p.is_file().then(|| p.clone());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The file system type holding `path` (longest mount point prefix in /proc/mounts).
pub(crate) fn fs_type(path: &Path) -> String {
    let Ok(path) = path.canonicalize() else {
        return "unknown".into();
    };
    let Ok(mounts) = std::fs::read_to_string("/proc/mounts") else {
        return "unknown".into();
    };
    mounts
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (_, point, kind) = (f.next()?, f.next()?, f.next()?);
            path.starts_with(point)
                .then(|| (point.len(), kind.to_string()))
        })
        .max_by_key(|(len, _)| *len)
        .map_or_else(|| "unknown".into(), |(_, kind)| kind)
}
