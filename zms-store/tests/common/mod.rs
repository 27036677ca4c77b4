//! Shared conformance suite: every backend must behave identically.
//!
//! A backend's test file calls [`conformance_suite!`] with a harness
//! `async fn(case)` that creates a fresh, empty database, passes its URL to the
//! case and cleans up afterwards. The macro emits one `#[tokio::test]` per case,
//! so adding a case to the list below runs it on every backend.

// The cases are test code outside `#[test]` functions: a panic is how they
// report a failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod suite;

/// Emits one test per conformance case, each run through `$harness`.
macro_rules! conformance_suite {
    ($harness:path) => {
        $crate::common::conformance_suite!(@cases $harness;
            insert_then_get,
            get_missing_is_none,
            document_round_trips_exactly,
            insert_existing_conflicts_and_writes_nothing,
            replace_with_right_version,
            replace_with_wrong_version_conflicts,
            replace_missing_conflicts,
            delete_with_right_version,
            delete_with_wrong_version_conflicts,
            assert_missing_fails_whole_commit,
            assert_wrong_version_fails_whole_commit,
            assert_right_version_lets_commit_through,
            multi_op_commit_applies_all,
            multi_op_commit_is_atomic_on_late_conflict,
            same_domain_twice_in_one_commit,
            audit_only_commit,
            list_returns_all_by_name,
            modified_since_filters_and_orders,
            audit_log_newest_first_with_limit_and_before_id,
            audit_log_filters_by_domain,
            audit_optional_fields_round_trip,
            concurrent_inserts_exactly_one_wins,
            concurrent_read_modify_write_loses_no_update,
            crossed_commits_succeed_or_conflict,
            reopen_keeps_data,
            migrations_are_idempotent,
        );
    };
    (@cases $harness:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                $harness($crate::common::suite::$case).await;
            }
        )*
    };
}

pub(crate) use conformance_suite;
