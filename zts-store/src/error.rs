//! The store's error type.
//!
//! Backend errors are flattened to strings so callers never depend on sqlx
//! types, and so nothing here can carry a connection URL (and its password)
//! further than the store.

/// Everything a [`crate::CertStore`] can fail with.
#[derive(thiserror::Error, Debug)]
pub enum StoreError {
    /// The store URL is malformed or names an unsupported backend. The message
    /// shows the URL with any password replaced by `***`.
    #[error("invalid store url: {0}")]
    Url(String),
    /// Any other database failure (connection, I/O, SQL). Nothing the failed
    /// call meant to write was written.
    #[error("database error: {0}")]
    Database(String),
    /// Applying the schema migrations failed.
    #[error("migration failed: {0}")]
    Migrate(String),
}

impl StoreError {
    /// Wraps a sqlx error. sqlx's messages do not include the connection URL.
    pub(crate) fn db(err: sqlx::Error) -> Self {
        Self::Database(err.to_string())
    }

    /// Wraps a migration error.
    pub(crate) fn migrate(err: sqlx::migrate::MigrateError) -> Self {
        Self::Migrate(err.to_string())
    }
}

/// Replaces the password of a `scheme://user:password@host/...` URL by `***`,
/// so the URL can go into error messages and logs.
pub(crate) fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    // Userinfo ends at the last '@' before any query or fragment. Looking past
    // the first '/' too means an unencoded '/' in a password is still hidden.
    let query_start = rest.find(['?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..query_start].rfind('@') else {
        return url.to_owned();
    };
    let (userinfo, host_and_tail) = (&rest[..at], &rest[at..]);
    match userinfo.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***{host_and_tail}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn redacts_password_only() {
        assert_eq!(
            redact_url("postgres://zts:s3cr@t@db:5432/zts?sslmode=require"),
            "postgres://zts:***@db:5432/zts?sslmode=require"
        );
        assert_eq!(redact_url("postgres://zts@db/zts"), "postgres://zts@db/zts");
        assert_eq!(redact_url("postgres://db/zts"), "postgres://db/zts");
        assert_eq!(redact_url("sqlite:/var/zts.db"), "sqlite:/var/zts.db");
        assert_eq!(
            redact_url("postgres://u:pa/ss@h/db"),
            "postgres://u:***@h/db"
        );
    }
}
