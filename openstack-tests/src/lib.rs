//! Support for the OpenStack end-to-end tests (`docs/openstack.md`, issue 5): emulators of the
//! OpenStack metadata service (and config drive), Keystone v3 tokens and the Nova servers API;
//! attestation tokens the test signs itself; and the world of real `zms-server`, `zts-server`,
//! `openstack-provider` and `sia-openstack` processes they run in. The tests are in `tests/`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test support: a failure is a test failure"
)]

pub mod keystone;
pub mod metadata;
pub mod nova;
pub mod token;
pub mod vm;
pub mod world;
