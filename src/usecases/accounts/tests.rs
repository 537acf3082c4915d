//! The account rules over mocked ports.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use mockall::predicate::eq;
use sybil_domain::Timestamp;
use sybil_domain::account::{Roles, Session, SessionWindows, User, token};
use sybil_ports::inbound::{
    AccountError, AccountUseCases, Caller, CsrfFailure, RouteAccess, SignedIn,
};
use sybil_ports::outbound::StoredSession;
use sybil_ports::outbound::accounts::MockAccountStore;
use sybil_ports::outbound::clock::{MockClock, MockIdGenerator};
use sybil_ports::outbound::secrets::{MockPasswordHasher, MockTokenSource};
use sybil_system::MemoryBuckets;
use uuid::Uuid;

use super::*;

const NOW: i64 = 1_700_000_000_000;
const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn settings(per_ip: u32, per_account: u32) -> AccountSettings {
    AccountSettings {
        windows: SessionWindows {
            idle_ms: 8 * 3_600_000,
            absolute_ms: 7 * 86_400_000,
        },
        admin_token: Some(Secret::new("admin-secret")),
        login_attempts_per_ip_per_minute: per_ip,
        login_failures_per_account: per_account,
    }
}

fn service(
    store: MockAccountStore,
    passwords: MockPasswordHasher,
    s: AccountSettings,
) -> AccountService {
    let mut clock = MockClock::new();
    clock.expect_now().returning(|| Timestamp(NOW));
    let mut ids = MockIdGenerator::new();
    ids.expect_new_id().returning(Uuid::now_v7);
    let mut tokens = MockTokenSource::new();
    tokens
        .expect_token()
        .returning(|| Uuid::now_v7().simple().to_string());
    AccountService::new(AccountDeps {
        store: Arc::new(store),
        passwords: Arc::new(passwords),
        tokens: Arc::new(tokens),
        buckets: Arc::new(MemoryBuckets::default()),
        clock: Arc::new(clock),
        ids: Arc::new(ids),
        oauth: OAuthProviders {
            github: Err(vec!["GITHUB_CLIENT_ID".into()]),
            apple: Err(vec!["APPLE_CLIENT_ID".into()]),
        },
        settings: s,
    })
}

fn user() -> User {
    User {
        id: Uuid::now_v7(),
        email: "ann@example.org".into(),
        username: "ann".into(),
        display_name: None,
        roles: Roles::member(),
        disabled: false,
        password_hash: Some("$argon2id$stored".into()),
        created_at: Timestamp(NOW - 1_000),
        roles_changed_at: Timestamp(NOW - 1_000),
        memberships_changed_at: Timestamp(NOW - 1_000),
        last_seen_at: Some(Timestamp(NOW)),
    }
}

fn signed_in(csrf: &str) -> SignedIn {
    let u = user();
    SignedIn {
        session: Session {
            id: Uuid::now_v7(),
            user_id: u.id,
            times: settings(1, 1).windows.open(Timestamp(NOW)),
            revoked: false,
            grace_until: None,
            predecessor: None,
            successor: None,
        },
        user: u,
        in_grace: false,
        rotation_due: None,
        csrf_digest: token::digest(csrf),
    }
}

#[tokio::test]
async fn an_unknown_account_costs_a_verification_and_counts_as_a_failure() {
    let mut store = MockAccountStore::new();
    store
        .expect_find_user_by_email()
        .with(eq("nobody@x.org"))
        .returning(|_| Ok(None));
    let mut passwords = MockPasswordHasher::new();
    // The stand-in verification: no hash, same work.
    passwords
        .expect_verify()
        .withf(|_, hash| hash.is_none())
        .times(2)
        .returning(|_, _| false);
    let accounts = service(store, passwords, settings(100, 2));
    for _ in 0..2 {
        let err = accounts
            .login(" Nobody@X.org ".into(), "password1".into())
            .await;
        assert_eq!(err.unwrap_err(), AccountError::InvalidCredentials);
    }
    // Two failures fill the account's bucket: refused before any lookup.
    let err = accounts
        .login("nobody@x.org".into(), "password1".into())
        .await;
    assert!(
        matches!(err, Err(AccountError::RateLimited { retry_after_seconds }) if retry_after_seconds >= 1)
    );
}

#[tokio::test]
async fn the_address_bucket_counts_every_attempt() {
    let accounts = service(
        MockAccountStore::new(),
        MockPasswordHasher::new(),
        settings(2, 5),
    );
    for _ in 0..2 {
        assert_eq!(accounts.admit_login_attempt(CLIENT).await, Ok(()));
    }
    let err = accounts.admit_login_attempt(CLIENT).await.unwrap_err();
    assert_eq!(
        err,
        AccountError::RateLimited {
            retry_after_seconds: 30
        }
    );
    // Another address has its own bucket.
    assert_eq!(
        accounts
            .admit_login_attempt("10.0.0.9".parse().unwrap())
            .await,
        Ok(())
    );
}

#[tokio::test]
async fn empty_login_fields_are_refused_before_any_lookup() {
    let accounts = service(
        MockAccountStore::new(),
        MockPasswordHasher::new(),
        settings(2, 5),
    );
    let err = accounts.login("  ".into(), "x".into()).await.unwrap_err();
    assert!(matches!(
        err,
        AccountError::InvalidRequest { field: "email", .. }
    ));
    let err = accounts.login("ann".into(), "".into()).await.unwrap_err();
    assert!(matches!(
        err,
        AccountError::InvalidRequest {
            field: "password",
            ..
        }
    ));
}

#[tokio::test]
async fn a_wrong_password_is_the_same_answer_and_a_disabled_account_needs_the_right_one() {
    let mut store = MockAccountStore::new();
    let mut disabled = user();
    disabled.disabled = true;
    store
        .expect_find_user_by_username()
        .with(eq("ann"))
        .returning(move |_| Ok(Some(disabled.clone())));
    let mut passwords = MockPasswordHasher::new();
    passwords
        .expect_verify()
        .returning(|password, hash| hash.is_some() && password == "right-password");
    let accounts = service(store, passwords, settings(100, 100));
    let wrong = accounts.login("ANN".into(), "wrong-password".into()).await;
    assert_eq!(wrong.unwrap_err(), AccountError::InvalidCredentials);
    let right = accounts.login("ann".into(), "right-password".into()).await;
    assert_eq!(right.unwrap_err(), AccountError::Disabled);
}

#[tokio::test]
async fn bearers_are_the_service_or_refused() {
    let accounts = service(
        MockAccountStore::new(),
        MockPasswordHasher::new(),
        settings(1, 1),
    );
    let caller = |bearer: &str, access| {
        accounts.authenticate(Some(bearer.into()), Some("cookie".into()), access)
    };
    assert_eq!(
        caller("admin-secret", RouteAccess::Admin).await,
        Ok(Caller::Service)
    );
    assert_eq!(
        caller("admin-secre", RouteAccess::Admin).await,
        Err(AccountError::InvalidToken)
    );
    assert_eq!(
        caller("admin-secret", RouteAccess::Session).await,
        Err(AccountError::MissingSession)
    );
    assert_eq!(
        accounts.authorize(&Caller::Service, RouteAccess::User),
        Err(AccountError::Forbidden(
            "this route needs a user session".into()
        ))
    );
    assert_eq!(
        accounts.authorize(&Caller::Anonymous, RouteAccess::User),
        Err(AccountError::MissingSession)
    );
    let member = Caller::User(Box::new(signed_in("c")));
    assert!(matches!(
        accounts.authorize(&member, RouteAccess::Admin),
        Err(AccountError::Forbidden(_))
    ));
    assert_eq!(accounts.authorize(&member, RouteAccess::User), Ok(()));
}

#[tokio::test]
async fn csrf_needs_the_header_and_the_session_token() {
    let accounts = service(
        MockAccountStore::new(),
        MockPasswordHasher::new(),
        settings(1, 1),
    );
    let me = signed_in("my-csrf");
    assert_eq!(
        accounts.check_csrf(&me, None).await,
        Err(AccountError::Csrf(CsrfFailure::Missing))
    );
    assert_eq!(
        accounts.check_csrf(&me, Some("my-csrf".into())).await,
        Ok(())
    );
    assert_eq!(
        accounts.check_csrf(&me, Some("other".into())).await,
        Err(AccountError::Csrf(CsrfFailure::Mismatch))
    );
}

#[tokio::test]
async fn within_the_grace_the_previous_sessions_csrf_token_is_accepted() {
    let mut me = signed_in("new-csrf");
    let previous = Uuid::now_v7();
    me.session.predecessor = Some(previous);
    let mut store = MockAccountStore::new();
    let mut old = signed_in("old-csrf");
    old.session.id = previous;
    old.session.grace_until = Some(Timestamp(NOW + 5_000));
    let old_stored = StoredSession {
        session: old.session.clone(),
        token_digest: token::digest("old-token"),
        csrf_digest: token::digest("old-csrf"),
    };
    store
        .expect_get_session()
        .with(eq(previous))
        .returning(move |_| Ok(Some(old_stored.clone())));
    let accounts = service(store, MockPasswordHasher::new(), settings(1, 1));
    assert_eq!(
        accounts.check_csrf(&me, Some("old-csrf".into())).await,
        Ok(())
    );
}

#[tokio::test]
async fn a_rotation_lost_to_a_concurrent_request_rotates_nothing() {
    let mut store = MockAccountStore::new();
    store.expect_rotate_session().returning(|_, _, _| Ok(false));
    let accounts = service(store, MockPasswordHasher::new(), settings(1, 1));
    let mut me = signed_in("c");
    me.rotation_due = Some(sybil_domain::account::RotationReason::Idle);
    assert_eq!(accounts.rotate_if_due(&me).await, Ok(None));
    assert_eq!(
        accounts.refresh(&me).await,
        Err(AccountError::RotationRequired)
    );
    me.in_grace = true;
    assert_eq!(
        accounts.refresh(&me).await,
        Err(AccountError::RotationRequired)
    );
}

#[tokio::test]
async fn setup_happens_once() {
    let mut store = MockAccountStore::new();
    store.expect_any_user().times(1).returning(|| Ok(true));
    let accounts = service(store, MockPasswordHasher::new(), settings(1, 1));
    let err = accounts
        .setup("ann".into(), "a@b".into(), "password1".into())
        .await;
    assert_eq!(err, Err(AccountError::SetupCompleted));
}

fn stored(session: Session) -> StoredSession {
    StoredSession {
        session,
        token_digest: "t".into(),
        csrf_digest: "c".into(),
    }
}

#[tokio::test]
async fn a_stream_follows_its_session_through_rotations_until_it_is_revoked() {
    let first = signed_in("x").session;
    let second = Session {
        id: Uuid::now_v7(),
        predecessor: Some(first.id),
        ..first.clone()
    };
    let rotated = Session {
        successor: Some(second.id),
        grace_until: Some(Timestamp(NOW - 1)),
        ..first.clone()
    };
    let (first_id, second_id) = (first.id, second.id);
    for (latest, disabled, alive) in [
        (second.clone(), false, true),
        (
            Session {
                revoked: true,
                ..second.clone()
            },
            false,
            false,
        ),
        (second.clone(), true, false),
    ] {
        let mut store = MockAccountStore::new();
        let (old, new) = (rotated.clone(), latest.clone());
        store.expect_get_session().returning(move |id| {
            Ok(Some(stored(if id == first_id {
                old.clone()
            } else {
                assert_eq!(id, second_id);
                new.clone()
            })))
        });
        store
            .expect_get_user()
            .returning(move |_| Ok(Some(User { disabled, ..user() })));
        let accounts = service(store, MockPasswordHasher::new(), settings(1, 1));
        assert_eq!(
            accounts.session_alive(first_id).await.unwrap(),
            alive,
            "revoked {} disabled {disabled}",
            latest.revoked
        );
    }
    let mut store = MockAccountStore::new();
    store.expect_get_session().returning(|_| Ok(None));
    let accounts = service(store, MockPasswordHasher::new(), settings(1, 1));
    assert!(!accounts.session_alive(Uuid::now_v7()).await.unwrap());
}
