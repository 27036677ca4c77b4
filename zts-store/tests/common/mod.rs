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
            insert_then_get_round_trips,
            get_missing_is_none,
            values_round_trip_exactly,
            reinsert_replaces_record,
            delete_reports_whether_a_record_existed,
            keys_differ_by_each_part,
            refresh_with_current_shifts_record,
            refresh_with_previous_is_accepted_once,
            refresh_after_previous_restores_a_fallback,
            refresh_with_unknown_serial_revokes_for_good,
            refresh_presenting_revoked_marker_revokes,
            refresh_missing_is_not_found_and_writes_nothing,
            delete_after_revoke_then_insert_works,
            concurrent_current_and_previous_refreshes_serialize,
            concurrent_refreshes_with_current_serial,
            concurrent_refreshes_with_previous_serial,
            concurrent_refreshes_of_different_records,
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
