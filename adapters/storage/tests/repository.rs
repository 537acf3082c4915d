//! Storage adapter tests: one shared suite run on SQLite and PostgreSQL, plus backend-specific checks.

mod cases;
mod specific;
mod support;

/// One `#[tokio::test]` per case and backend, each on a fresh database.
macro_rules! on_both_backends {
    ($($case:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let db = crate::support::sqlite().await;
                    crate::cases::$case(&db).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let Some(db) = crate::support::postgres().await else { return };
                    crate::cases::$case(&db).await;
                }
            )+
        }
    };
}

on_both_backends!(
    create_then_load_round_trips_every_field,
    a_chat_without_title_or_model_round_trips,
    unknown_chats_load_as_none,
    list_is_most_recently_updated_first,
    rename_sets_title_and_updated_at,
    rename_of_unknown_chat_is_none,
    delete_cascades_to_messages_and_calls,
    append_to_unknown_chat_stores_nothing,
    append_keeps_order_and_sets_updated_at,
    history_head_is_the_first_non_tool_messages_in_order,
    concurrent_appends_keep_every_message_in_writer_order,
    migrations_are_idempotent,
    ping_answers,
    model_use_sets_last_used_and_initiates_once,
    calls_are_recorded_and_deleted_with_their_chat,
    queued_calls_are_all_written_in_order_by_flush,
    a_queued_call_is_written_without_a_flush,
    calls_of_a_deleted_chat_do_not_take_others_with_them,
    a_rejected_row_is_lost_alone,
    identical_concurrent_appends_store_the_new_messages_once,
    appending_the_new_messages_follows_the_history_rule,
    searches_round_trip_and_list_newest_first,
    a_saved_run_replaces_the_last_one_and_goes_with_its_search,
    job_events_replay_in_order_after_a_given_id,
    stops_heartbeats_stale_jobs_and_retention,
    events_an_older_version_stored_replay_as_they_were,
    metadata_as_deep_as_an_old_version_stored_reads_back,
    the_posting_profile_is_seeded,
    profiles_list_by_name_and_a_name_is_taken_regardless_of_case,
    an_update_stores_params_description_and_updated_at,
    a_profile_is_deleted_only_once_unassigned,
    assigning_a_route_again_repoints_it,
    assigning_an_unknown_profile_stores_nothing,
    identical_concurrent_assignments_make_one_row,
    unassign_says_whether_there_was_one,
    assignments_list_by_method_then_pattern,
    every_rate_limit_change_wakes_its_followers,
);
