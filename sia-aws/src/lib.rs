//! SIA for AWS: the `siad` EC2 agent (IMDS attestation, STS AssumeRole into `<domain>.<service>`,
//! Athenz `AWSAttestationData`) and a Lambda identity library. The register/refresh flow, files
//! and loop are `sia-core`'s; this crate only knows AWS.

#![warn(missing_docs)]

pub mod attestation;
pub mod document;
pub mod ec2;
pub mod error;
pub mod imds;
pub mod lambda;
pub mod siad;
pub mod sts;

pub use error::{Error, Result};
