//! Plumbing the ZMS and ZTS servers share: TLS over rustls (aws-lc-rs) with client certificates
//! verified against configured CAs, the accept loop that attaches the caller's certificate to every
//! request of a connection, and the development CA that `--dev` modes use.
//!
//! It knows nothing of either API: no routes, no stores, no wire types beyond names.

pub mod accept;
pub mod devca;
pub mod tls;
