//! The conversation rules over mocked ports: who may do what, in the
//! contract's order of checks, and how a reply starts or ends at once.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use mockall::predicate::always;
use sybil_domain::account::{Roles, User};
use sybil_domain::conversation::model::{
    Conversation, Membership, MessageRole, PresenceSeen, ReplyStatus, ThreadMessage,
};
use sybil_domain::conversation::{ConversationRole, Invite, MessagePath, PresenceStatus};
use sybil_domain::{Provider, Timestamp};
use sybil_ports::inbound::rate_limits::MockRateLimitUseCases;
use sybil_ports::inbound::{
    CancelOutcome, ConversationError, ConversationUseCases, NewInvite, NewMessage,
};
use sybil_ports::outbound::clock::{MockClock, MockIdGenerator};
use sybil_ports::outbound::conversations::MockConversationStore;
use sybil_ports::outbound::secrets::MockTokenSource;
use sybil_ports::outbound::{AcceptOutcome, ReplyEnd, SetRoleOutcome};
use uuid::Uuid;

use super::*;

const NOW: i64 = 1_700_000_000_000;

/// Records what it was asked to run; `openai` is the one provider with a key.
#[derive(Default)]
struct FakeRunner {
    ran: Mutex<Vec<Uuid>>,
}

#[async_trait]
impl ReplyRunner for FakeRunner {
    fn configured(&self, provider: Provider) -> bool {
        provider == Provider::OpenAi
    }

    fn run(&self, reply: ThreadMessage) {
        self.ran.lock().unwrap().push(reply.id);
    }

    async fn stop(&self, _reply: Uuid) -> bool {
        false
    }
}

fn user(roles: Roles) -> User {
    User {
        id: Uuid::now_v7(),
        email: "ann@example.org".into(),
        username: "ann".into(),
        display_name: None,
        roles,
        disabled: false,
        password_hash: None,
        created_at: Timestamp(NOW),
        roles_changed_at: Timestamp(NOW),
        memberships_changed_at: Timestamp(NOW),
        last_seen_at: None,
    }
}

fn conversation(defaults: Option<(Provider, String)>) -> Conversation {
    Conversation {
        id: Uuid::from_u128(1),
        title: "t".into(),
        is_group: true,
        created_by: Uuid::from_u128(2),
        created_at: Timestamp(NOW),
        last_activity_at: Timestamp(NOW),
        defaults,
    }
}

fn membership(role: ConversationRole) -> Membership {
    Membership {
        conversation: conversation(None),
        role,
        participant_count: 2,
    }
}

fn message(author: Option<Uuid>, role: MessageRole) -> ThreadMessage {
    ThreadMessage {
        id: Uuid::from_u128(10),
        conversation_id: Uuid::from_u128(1),
        seq: 1,
        root_id: Uuid::from_u128(10),
        parent_id: None,
        author,
        role,
        content: "hi".into(),
        path: MessagePath::root(1),
        created_at: Timestamp(NOW),
        edited_at: None,
        deleted_at: None,
        deleted_by: None,
        status: (role == MessageRole::Assistant).then_some(ReplyStatus::Completed),
        error: None,
        reply_model: None,
    }
}

fn no_posting_limit() -> MockRateLimitUseCases {
    let mut limits = MockRateLimitUseCases::new();
    limits.expect_charge_post().returning(|_, _| None);
    limits
}

fn service_with(
    store: MockConversationStore,
    runner: Arc<FakeRunner>,
    default: Option<(Provider, String)>,
) -> ConversationService {
    service_limited(store, runner, default, no_posting_limit())
}

fn service_limited(
    store: MockConversationStore,
    runner: Arc<FakeRunner>,
    default: Option<(Provider, String)>,
    limits: MockRateLimitUseCases,
) -> ConversationService {
    let mut clock = MockClock::new();
    clock.expect_now().returning(|| Timestamp(NOW));
    let mut ids = MockIdGenerator::new();
    ids.expect_new_id().returning(Uuid::now_v7);
    let mut tokens = MockTokenSource::new();
    tokens.expect_token().returning(|| "t".repeat(43));
    ConversationService::new(ConversationDeps {
        store: Arc::new(store),
        tokens: Arc::new(tokens),
        clock: Arc::new(clock),
        ids: Arc::new(ids),
        replies: runner,
        wakeups: Arc::new(sybil_ports::outbound::wakeups::MockWakeups::new()),
        limits: Arc::new(limits),
        settings: ConversationSettings {
            presence: PresenceTimes {
                away_ms: 45_000,
                offline_ms: 300_000,
            },
            assistant_default: default,
            owner: "sybil-test".into(),
            stream_max_lag: 1000,
            stream_retention: std::time::Duration::from_secs(172_800),
        },
    })
}

fn service(store: MockConversationStore) -> ConversationService {
    service_with(store, Arc::default(), None)
}

fn post(content: &str) -> NewMessage {
    NewMessage {
        content: content.into(),
        role: None,
        provider: None,
        model: None,
    }
}

#[tokio::test]
async fn strangers_get_the_404_of_an_unknown_conversation() {
    let mut store = MockConversationStore::new();
    store.expect_membership().returning(|_, _| Ok(None));
    let s = service(store);
    let ann = user(Roles::member());
    let id = Uuid::from_u128(1);
    assert_eq!(
        s.detail(&ann, id).await.unwrap_err(),
        ConversationError::NotFound("conversation not found")
    );
    assert_eq!(
        s.post_root(&ann, id, post("x")).await.unwrap_err(),
        ConversationError::NotFound("conversation not found")
    );
}

#[tokio::test]
async fn viewers_and_read_only_users_cannot_post_but_may_read_the_rest() {
    for (roles, role) in [
        (Roles::member(), ConversationRole::Viewer),
        (
            Roles::new([sybil_domain::account::UserRole::ReadOnly]).unwrap(),
            ConversationRole::Owner,
        ),
    ] {
        let mut store = MockConversationStore::new();
        store
            .expect_membership()
            .returning(move |_, _| Ok(Some(membership(role))));
        store.expect_post().never();
        let s = service(store);
        let err = s
            .post_root(&user(roles), Uuid::from_u128(1), post("x"))
            .await
            .unwrap_err();
        assert!(matches!(err, ConversationError::Forbidden(_)), "{err:?}");
    }
}

#[tokio::test]
async fn the_permission_check_comes_before_the_content_rules() {
    let mut store = MockConversationStore::new();
    store
        .expect_membership()
        .returning(|_, _| Ok(Some(membership(ConversationRole::Viewer))));
    let s = service(store);
    let err = s
        .post_root(&user(Roles::member()), Uuid::from_u128(1), post("   "))
        .await
        .unwrap_err();
    assert!(matches!(err, ConversationError::Forbidden(_)));
}

#[tokio::test]
async fn a_post_without_a_model_gets_a_reply_that_ends_with_no_model() {
    let mut store = MockConversationStore::new();
    store
        .expect_membership()
        .returning(|_, _| Ok(Some(membership(ConversationRole::Member))));
    let ann = user(Roles::member());
    let author = ann.id;
    store
        .expect_post()
        .returning(move |_, _| Ok(message(Some(author), MessageRole::User)));
    store.expect_start_reply().returning(|r| {
        Ok(ThreadMessage {
            id: r.id,
            role: MessageRole::Assistant,
            status: Some(ReplyStatus::Streaming),
            ..message(None, MessageRole::Assistant)
        })
    });
    let ended: Arc<Mutex<Option<ReplyEnd>>> = Arc::default();
    let seen = ended.clone();
    store.expect_finish_reply().returning(move |_, end| {
        *seen.lock().unwrap() = Some(end);
        Ok(true)
    });
    let runner = Arc::new(FakeRunner::default());
    let s = service_with(store, runner.clone(), None);
    let posted = s
        .post_root(&ann, Uuid::from_u128(1), post("hello"))
        .await
        .unwrap();
    assert!(posted.assistant_message_id.is_some());
    let end = ended.lock().unwrap().clone().unwrap();
    assert_eq!(end.status, ReplyStatus::Error);
    let error = end.error.unwrap();
    assert_eq!(error.code, "no_model");
    assert!(error.message.contains("ASSISTANT_DEFAULT_PROVIDER"));
    assert!(runner.ran.lock().unwrap().is_empty());
}

#[tokio::test]
async fn replies_use_the_post_then_the_conversation_then_the_default_model() {
    for (asked, defaults, fallback, runs, code) in [
        // The post's own model wins (openai has a key).
        (
            Some(Provider::OpenAi),
            Some((Provider::Xai, "grok".to_string())),
            None,
            true,
            None,
        ),
        // The conversation's xai has no key.
        (
            None,
            Some((Provider::Xai, "grok".to_string())),
            Some((Provider::OpenAi, "gpt".to_string())),
            false,
            Some("provider_not_configured"),
        ),
        // The server's default.
        (
            None,
            None,
            Some((Provider::OpenAi, "gpt".to_string())),
            true,
            None,
        ),
    ] {
        let mut store = MockConversationStore::new();
        let with_defaults = defaults.clone();
        store.expect_membership().returning(move |_, _| {
            Ok(Some(Membership {
                conversation: conversation(with_defaults.clone()),
                ..membership(ConversationRole::Member)
            }))
        });
        store
            .expect_post()
            .returning(|_, _| Ok(message(None, MessageRole::User)));
        let chosen: Arc<Mutex<Option<(Provider, String)>>> = Arc::default();
        let seen = chosen.clone();
        store.expect_start_reply().returning(move |r| {
            *seen.lock().unwrap() = r.model.clone();
            Ok(ThreadMessage {
                id: r.id,
                reply_model: r.model,
                ..message(None, MessageRole::Assistant)
            })
        });
        let codes: Arc<Mutex<Vec<String>>> = Arc::default();
        let seen_codes = codes.clone();
        store.expect_finish_reply().returning(move |_, end| {
            seen_codes
                .lock()
                .unwrap()
                .push(end.error.map(|e| e.code).unwrap_or_default());
            Ok(true)
        });
        let runner = Arc::new(FakeRunner::default());
        let s = service_with(store, runner.clone(), fallback);
        let mut new = post("hello");
        if let Some(p) = asked {
            new.provider = Some(p);
            new.model = Some("asked-model".into());
        }
        s.post_root(&user(Roles::member()), Uuid::from_u128(1), new)
            .await
            .unwrap();
        assert_eq!(runner.ran.lock().unwrap().len() == 1, runs);
        assert_eq!(
            codes.lock().unwrap().first().map(String::as_str),
            code,
            "{asked:?} {defaults:?}"
        );
        if asked.is_some() {
            assert_eq!(
                chosen.lock().unwrap().clone(),
                Some((Provider::OpenAi, "asked-model".to_string()))
            );
        }
    }
}

fn posting_refused() -> MockRateLimitUseCases {
    let mut limits = MockRateLimitUseCases::new();
    limits.expect_charge_post().times(1).returning(|_, _| {
        let limit = sybil_domain::rate_limit::Gcra {
            requests_per_second: 1.0,
            burst: 1,
        };
        let full = limit.decide(None, 0);
        Some(sybil_ports::inbound::LimitVerdict {
            profile: "conversation.post".into(),
            burst: 1,
            decision: limit.decide(Some(full.tat_us), 0),
        })
    });
    limits
}

#[tokio::test]
async fn a_post_over_the_posting_limit_stores_nothing_after_its_own_checks() {
    let mut store = MockConversationStore::new();
    store
        .expect_membership()
        .returning(|_, _| Ok(Some(membership(ConversationRole::Owner))));
    store.expect_post().never();
    let s = service_limited(store, Arc::default(), None, posting_refused());
    let err = s
        .post_root(&user(Roles::member()), Uuid::from_u128(1), post("hi"))
        .await
        .unwrap_err();
    let ConversationError::RateLimited(verdict) = err else {
        panic!("{err:?}");
    };
    assert_eq!(verdict.decision.retry_after_seconds, 1);

    // A post that breaks its own rules is refused first, and not charged.
    let mut store = MockConversationStore::new();
    store
        .expect_membership()
        .returning(|_, _| Ok(Some(membership(ConversationRole::Owner))));
    let mut limits = MockRateLimitUseCases::new();
    limits.expect_charge_post().never();
    let s = service_limited(store, Arc::default(), None, limits);
    let err = s
        .post_root(&user(Roles::member()), Uuid::from_u128(1), post("  "))
        .await
        .unwrap_err();
    assert!(matches!(err, ConversationError::Invalid(_)), "{err:?}");
}

#[tokio::test]
async fn system_posts_ask_for_no_reply() {
    let mut store = MockConversationStore::new();
    store
        .expect_membership()
        .returning(|_, _| Ok(Some(membership(ConversationRole::Owner))));
    store
        .expect_post()
        .returning(|_, _| Ok(message(None, MessageRole::System)));
    store.expect_start_reply().never();
    let s = service(store);
    let mut new = post("be brief");
    new.role = Some("system".into());
    let posted = s
        .post_root(&user(Roles::member()), Uuid::from_u128(1), new)
        .await
        .unwrap();
    assert_eq!(posted.assistant_message_id, None);
}

#[tokio::test]
async fn only_assistant_messages_can_be_cancelled_and_ended_ones_say_completed() {
    let mut store = MockConversationStore::new();
    store
        .expect_membership()
        .returning(|_, _| Ok(Some(membership(ConversationRole::Owner))));
    store.expect_message().returning(|id| {
        Ok(Some(if id == Uuid::from_u128(10) {
            message(None, MessageRole::User)
        } else {
            ThreadMessage {
                id,
                parent_id: Some(Uuid::from_u128(10)),
                ..message(None, MessageRole::Assistant)
            }
        }))
    });
    let s = service(store);
    let owner = user(Roles::member());
    assert_eq!(
        s.cancel(&owner, Uuid::from_u128(10)).await.unwrap_err(),
        ConversationError::CancelRole
    );
    assert_eq!(
        s.cancel(&owner, Uuid::from_u128(11)).await.unwrap(),
        CancelOutcome::Completed
    );
}

#[tokio::test]
async fn admins_cannot_make_owners_and_a_last_owner_conflict_is_409() {
    let mut store = MockConversationStore::new();
    store.expect_membership().returning(|_, user| {
        Ok(Some(membership(if user == Uuid::from_u128(5) {
            ConversationRole::Member
        } else {
            ConversationRole::Admin
        })))
    });
    store
        .expect_presence()
        .returning(|_| Ok(PresenceSeen::NEVER));
    store
        .expect_set_role()
        .with(always(), always(), always(), always(), always())
        .returning(|_, _, _, _, _| Ok(SetRoleOutcome::LastOwner));
    let s = service(store);
    let admin = user(Roles::member());
    let err = s
        .add_participant(
            &admin,
            Uuid::from_u128(1),
            Uuid::from_u128(5),
            ConversationRole::Owner,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ConversationError::Forbidden(_)));
    assert_eq!(
        s.add_participant(
            &admin,
            Uuid::from_u128(1),
            Uuid::from_u128(5),
            ConversationRole::Viewer
        )
        .await
        .unwrap_err(),
        ConversationError::Conflict("conversation needs at least one owner")
    );
}

fn invite(email: Option<&str>) -> Invite {
    Invite {
        id: Uuid::from_u128(20),
        conversation_id: Uuid::from_u128(1),
        role: ConversationRole::Member,
        email: email.map(str::to_string),
        expires_at: Timestamp(NOW + 1),
        revoked_at: None,
        accepted_by: None,
    }
}

#[tokio::test]
async fn invites_bound_to_an_email_refuse_other_accounts() {
    let mut store = MockConversationStore::new();
    store
        .expect_find_invite()
        .returning(|_| Ok(Some(invite(Some("BOB@example.org")))));
    store.expect_membership().returning(|_, _| Ok(None));
    store.expect_accept_invite().never();
    let s = service(store);
    assert_eq!(
        s.accept_invite(&user(Roles::member()), "token")
            .await
            .unwrap_err(),
        ConversationError::Forbidden("invite is for another email address")
    );
}

#[tokio::test]
async fn an_acceptance_that_raced_is_decided_again() {
    let mut store = MockConversationStore::new();
    let reads = Arc::new(Mutex::new(0));
    let count = reads.clone();
    store.expect_find_invite().returning(move |_| {
        let mut n = count.lock().unwrap();
        *n += 1;
        let mut i = invite(None);
        if *n > 1 {
            i.revoked_at = Some(Timestamp(NOW));
        }
        Ok(Some(i))
    });
    store.expect_membership().returning(|_, _| Ok(None));
    store
        .expect_presence()
        .returning(|_| Ok(PresenceSeen::NEVER));
    store
        .expect_accept_invite()
        .times(1)
        .returning(|_, _, _, _| Ok(AcceptOutcome::Raced));
    let s = service(store);
    assert_eq!(
        s.accept_invite(&user(Roles::member()), "token")
            .await
            .unwrap_err(),
        ConversationError::Gone("invite revoked")
    );
}

#[tokio::test]
async fn invites_check_their_lifetime_and_email() {
    let mut store = MockConversationStore::new();
    store
        .expect_membership()
        .returning(|_, _| Ok(Some(membership(ConversationRole::Owner))));
    store.expect_create_invite().never();
    let s = service(store);
    let owner = user(Roles::member());
    let err = s
        .create_invite(
            &owner,
            Uuid::from_u128(1),
            NewInvite {
                role: ConversationRole::Member,
                email: None,
                ttl_seconds: Some(0),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ConversationError::Invalid(e) if e.field == "ttl_seconds"));
    let err = s
        .create_invite(
            &owner,
            Uuid::from_u128(1),
            NewInvite {
                role: ConversationRole::Member,
                email: Some("not-an-email".into()),
                ttl_seconds: None,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ConversationError::Invalid(e) if e.field == "email"));
}

#[tokio::test]
async fn heartbeats_default_to_online() {
    let mut store = MockConversationStore::new();
    store
        .expect_heartbeat()
        .withf(|_, status, _, _| *status == PresenceStatus::Online)
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    service(store)
        .heartbeat(&user(Roles::member()), None)
        .await
        .unwrap();
}

#[tokio::test]
async fn maintenance_renews_its_leases_and_ends_the_replies_of_dead_processes() {
    let mut store = MockConversationStore::new();
    store
        .expect_renew_reply_leases()
        .withf(|owner, now| owner == "sybil-test" && *now == Timestamp(NOW))
        .times(1)
        .returning(|_, _| Ok(()));
    store
        .expect_abandoned_replies()
        .withf(|before| *before == Timestamp(NOW - 8_000))
        .returning(|_| {
            Ok(vec![ThreadMessage {
                status: Some(ReplyStatus::Streaming),
                ..message(None, MessageRole::Assistant)
            }])
        });
    let ended: Arc<Mutex<Vec<ReplyEnd>>> = Arc::default();
    let seen = ended.clone();
    store.expect_finish_reply().returning(move |_, end| {
        seen.lock().unwrap().push(end);
        Ok(true)
    });
    store
        .expect_announce_presence()
        .times(1)
        .returning(|_, _| Ok(()));
    store
        .expect_delete_events_before()
        .withf(|before| *before == Timestamp(NOW - 172_800_000))
        .times(1)
        .returning(|_| Ok(0));
    service(store).maintain(0).await.unwrap();
    let ended = ended.lock().unwrap();
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].status, ReplyStatus::Error);
    let error = ended[0].error.clone().unwrap();
    assert_eq!(
        (error.code.as_str(), error.message.as_str()),
        ("interrupted", "the reply was interrupted")
    );
}
