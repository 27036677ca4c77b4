//! Crash-safe file output. Each file is written to a temp file in its target directory, fsynced,
//! given its mode and owner, and only then renamed over the old one (the rename is the commit
//! point), after which the directory is fsynced. A key and its certificate are both staged before
//! either is renamed, so a reader sees a mismatched pair for two renames at most, and a failure
//! before the renames leaves the old pair untouched (Athenz writes through a temp file and rename
//! too: `libs/go/sia/util/util.go` `UpdateFile`).
//!
//! Owners are names resolved through `/etc/passwd` and `/etc/group` (no libc).

use crate::error::{Error, Result};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Numeric owner and group to give a file; `None` keeps the process's own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Owner {
    /// User id.
    pub uid: Option<u32>,
    /// Group id.
    pub gid: Option<u32>,
}

impl Owner {
    /// Resolves optional user and group names (or numeric ids) through the system databases.
    pub fn resolve(user: Option<&str>, group: Option<&str>) -> Result<Self> {
        Self::resolve_in(
            user,
            group,
            Path::new("/etc/passwd"),
            Path::new("/etc/group"),
        )
    }

    /// [`Owner::resolve`] against explicit `passwd`/`group` files (for tests and chroots).
    pub fn resolve_in(
        user: Option<&str>,
        group: Option<&str>,
        passwd: &Path,
        groups: &Path,
    ) -> Result<Self> {
        let uid = user
            .filter(|u| !u.is_empty())
            .map(|u| lookup_id(passwd, u, "user"))
            .transpose()?;
        let gid = group
            .filter(|g| !g.is_empty())
            .map(|g| lookup_id(groups, g, "group"))
            .transpose()?;
        Ok(Self { uid, gid })
    }

    /// Whether any id is set.
    pub fn is_set(&self) -> bool {
        self.uid.is_some() || self.gid.is_some()
    }
}

/// Looks a name up in a colon-separated database (`name:x:id:...`); a number is taken as is.
fn lookup_id(db: &Path, name: &str, what: &str) -> Result<u32> {
    if let Ok(id) = name.parse::<u32>() {
        return Ok(id);
    }
    let text = fs::read_to_string(db).map_err(|e| Error::io("read", db, e))?;
    for line in text.lines() {
        let mut parts = line.split(':');
        if parts.next() == Some(name)
            && let Some(id) = parts.nth(1).and_then(|id| id.trim().parse().ok())
        {
            return Ok(id);
        }
    }
    Err(Error::Config(vec![format!(
        "{what} `{name}` not found in {}",
        db.display()
    )]))
}

/// Creates `dir` (and missing parents) with `mode` if it does not exist. Existing directories
/// keep their mode: an operator may have chosen a stricter one.
pub fn ensure_dir(dir: &Path, mode: u32) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::create_dir_all(dir).map_err(|e| Error::io("create directory", dir, e))?;
    // create_dir_all applies the umask; set the intended mode on the leaf explicitly.
    fs::set_permissions(dir, fs::Permissions::from_mode(mode))
        .map_err(|e| Error::io("chmod", dir, e))
}

/// A file written and synced under a temp name next to its destination, not yet visible.
/// Dropping it without [`StagedFile::commit`] removes the temp file.
#[derive(Debug)]
pub struct StagedFile {
    tmp: PathBuf,
    dest: PathBuf,
    committed: bool,
}

impl StagedFile {
    /// Writes `contents` to a temp file beside `dest` with `mode` and `owner`, fsynced.
    pub fn write(dest: &Path, contents: &[u8], mode: u32, owner: Owner) -> Result<Self> {
        let name = dest
            .file_name()
            .ok_or_else(|| Error::io("write", dest, std::io::ErrorKind::InvalidInput.into()))?;
        let dir = parent(dest);
        let tmp = dir.join(format!(".{}.tmp", name.to_string_lossy()));
        // A temp file left by a killed run is garbage; it was never renamed into place.
        match fs::remove_file(&tmp) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io("remove", &tmp, e)),
        }
        let staged = Self {
            tmp,
            dest: dest.to_path_buf(),
            committed: false,
        };
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&staged.tmp)
            .map_err(|e| Error::io("create", &staged.tmp, e))?;
        f.write_all(contents)
            .map_err(|e| Error::io("write", &staged.tmp, e))?;
        f.sync_all()
            .map_err(|e| Error::io("fsync", &staged.tmp, e))?;
        drop(f);
        if owner.is_set() {
            std::os::unix::fs::chown(&staged.tmp, owner.uid, owner.gid)
                .map_err(|e| Error::io("chown", &staged.tmp, e))?;
        }
        fs::set_permissions(&staged.tmp, fs::Permissions::from_mode(mode))
            .map_err(|e| Error::io("chmod", &staged.tmp, e))?;
        Ok(staged)
    }

    /// The destination path.
    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// Renames the temp file over the destination and fsyncs the directory.
    pub fn commit(mut self) -> Result<()> {
        fs::rename(&self.tmp, &self.dest).map_err(|e| Error::io("rename", &self.dest, e))?;
        self.committed = true;
        sync_dir(parent(&self.dest))
    }
}

impl Drop for StagedFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Writes one file atomically (stage, then commit).
pub fn write_atomic(dest: &Path, contents: &[u8], mode: u32, owner: Owner) -> Result<()> {
    StagedFile::write(dest, contents, mode, owner)?.commit()
}

/// Commits staged files in order. Every file was fully written before this is called, so the
/// window in which a reader sees some new and some old files is only the renames.
pub fn commit_all(files: Vec<StagedFile>) -> Result<()> {
    for f in files {
        f.commit()?;
    }
    Ok(())
}

fn parent(p: &Path) -> &Path {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io("fsync directory", dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn atomic_write_sets_mode_and_replaces() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.cert.pem");
        write_atomic(&p, b"one", 0o444, Owner::default()).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"one");
        assert_eq!(mode(&p), 0o444);
        // Replacing a read-only file works: rename does not need write permission on it.
        write_atomic(&p, b"two", 0o400, Owner::default()).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert_eq!(mode(&p), 0o400);
        assert_eq!(
            fs::read_dir(d.path()).unwrap().count(),
            1,
            "no temp file left"
        );
    }

    #[test]
    fn staged_but_uncommitted_files_leave_old_state() {
        let d = tempfile::tempdir().unwrap();
        let key = d.path().join("k.pem");
        let cert = d.path().join("c.pem");
        write_atomic(&key, b"old key", 0o400, Owner::default()).unwrap();
        write_atomic(&cert, b"old cert", 0o444, Owner::default()).unwrap();
        {
            let _k = StagedFile::write(&key, b"new key", 0o400, Owner::default()).unwrap();
            // The second staging fails (its directory is missing): nothing is committed.
            let missing = d.path().join("nodir").join("c.pem");
            assert!(StagedFile::write(&missing, b"new cert", 0o444, Owner::default()).is_err());
        }
        assert_eq!(fs::read(&key).unwrap(), b"old key");
        assert_eq!(fs::read(&cert).unwrap(), b"old cert");
        assert_eq!(
            fs::read_dir(d.path()).unwrap().count(),
            2,
            "temp file removed"
        );
    }

    #[test]
    fn a_stale_temp_file_from_a_killed_run_is_replaced() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.key.pem");
        fs::write(d.path().join(".x.key.pem.tmp"), b"trunc").unwrap();
        let staged = StagedFile::write(&p, b"full", 0o440, Owner::default()).unwrap();
        assert!(!p.exists(), "not visible before commit");
        commit_all(vec![staged]).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"full");
        assert_eq!(mode(&p), 0o440);
    }

    #[test]
    fn chown_to_own_ids_works() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("o.pem");
        use std::os::unix::fs::MetadataExt;
        let meta = fs::metadata(d.path()).unwrap();
        let owner = Owner {
            uid: Some(meta.uid()),
            gid: Some(meta.gid()),
        };
        write_atomic(&p, b"x", 0o440, owner).unwrap();
        assert_eq!(fs::metadata(&p).unwrap().gid(), meta.gid());
    }

    #[test]
    fn names_resolve_through_passwd_and_group() {
        let d = tempfile::tempdir().unwrap();
        let passwd = d.path().join("passwd");
        let group = d.path().join("group");
        fs::write(
            &passwd,
            "root:x:0:0:root:/root:/bin/sh\nsia:x:1234:1234::/:/bin/false\n",
        )
        .unwrap();
        fs::write(&group, "root:x:0:\nathenz:x:10952:sia\n").unwrap();
        let o = Owner::resolve_in(Some("sia"), Some("athenz"), &passwd, &group).unwrap();
        assert_eq!(
            o,
            Owner {
                uid: Some(1234),
                gid: Some(10952)
            }
        );
        let o = Owner::resolve_in(None, Some("77"), &passwd, &group).unwrap();
        assert_eq!(
            o,
            Owner {
                uid: None,
                gid: Some(77)
            }
        );
        let e = Owner::resolve_in(Some("nobody2"), None, &passwd, &group).unwrap_err();
        assert!(e.to_string().contains("nobody2"), "{e}");
    }

    #[test]
    fn missing_directories_get_the_requested_mode() {
        let d = tempfile::tempdir().unwrap();
        let keys = d.path().join("sia").join("keys");
        ensure_dir(&keys, 0o750).unwrap();
        assert_eq!(mode(&keys), 0o750);
        fs::set_permissions(&keys, fs::Permissions::from_mode(0o700)).unwrap();
        ensure_dir(&keys, 0o755).unwrap();
        assert_eq!(mode(&keys), 0o700, "existing directory untouched");
    }
}
