//! Field names of `sia_config` (`libs/go/sia/config/config.go`, Athenz commit noted in
//! `reference/athenz.md` §4.3): which we implement, and which Athenz defines but we ignore.

/// Top-level fields [`super::SiaConfig`] implements (Athenz's plus ours).
pub(super) const TOP: &[&str] = &[
    "version",
    "service",
    "services",
    "accounts",
    "sandns_wildcard",
    "sandns_hostname",
    "sandns_x509_cnames",
    "hostname_suffix",
    "user",
    "group",
    "expiry_time",
    "refresh_interval",
    "fail_count_for_exit",
    "sia_key_dir",
    "sia_cert_dir",
    "sia_token_dir",
    "zts",
    "spiffe_trust_domain",
    "rotate_key",
    "role_path",
    "roles",
    "generate_role_key",
    "role_certs_required",
    "access_tokens",
    "store_token_option",
    // ours
    "key_type",
    "refresh_fraction",
    "retry_initial_ms",
    "retry_max_ms",
    "dns_domains",
    "hostname",
];

/// Top-level Athenz fields we do not implement.
pub(super) const TOP_ATHENZ: &[&str] = &[
    "ssh",
    "ssh_host_key_type",
    "ssh_principals",
    "san_email_addresses",
    "regionalsts",
    "aws_account",
    "sds_uds_path",
    "sds_uds_uid",
    "zts_region",
    "drop_privileges",
    "file_direct_update",
    "sia_backup_dir",
    "cert_threshold_to_check",
    "sshcert_threshold_to_check",
    "access_management",
    "run_after",
    "run_after_certs_err",
    "run_after_tokens",
    "run_after_tokens_err",
    "run_after_fail_exit",
    "otel",
    "http_port",
    "aws_web_identity",
    "aws_web_identity_audience",
    "aws_web_identity_signing_algorithm",
    "aws_web_identity_duration_seconds",
];

/// `accounts[]` fields we implement.
pub(super) const ACCOUNT: &[&str] = &[
    "domain", "account", "service", "name", "user", "group", "zts", "version", "roles",
];

/// `accounts[]` Athenz fields we do not implement.
pub(super) const ACCOUNT_ATHENZ: &[&str] = &[
    "cert_threshold_to_check",
    "sshcert_threshold_to_check",
    "omit_domain",
];

/// `services{}` fields we implement.
pub(super) const SERVICE: &[&str] = &[
    "key_filename",
    "cert_filename",
    "user",
    "group",
    "expiry_time",
];

/// `services{}` Athenz fields we do not implement.
pub(super) const SERVICE_ATHENZ: &[&str] = &[
    "sds_uds_uid",
    "sds_node_id",
    "sds_node_cluster",
    "cert_threshold_to_check",
];
