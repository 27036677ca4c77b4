//! Support for the end-to-end tests of EC2 and Lambda identity: the AWS emulator (moto), a fake
//! instance metadata service, a test "AWS" signer that ZTS trusts, and the world of real
//! `zms-server`, `zts-server` and `siad` processes they run in. The tests are in `tests/`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test support: a failure is a test failure"
)]

pub mod awskeys;
pub mod imds;
pub mod lambda;
pub mod moto;
pub mod siad;
pub mod world;
