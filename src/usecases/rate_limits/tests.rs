use std::sync::Mutex;

use async_trait::async_trait;
use serde_json::json;
use sybil_domain::Timestamp;
use sybil_domain::rate_limit::{Gcra, GcraDecision, PathPattern};
use sybil_ports::outbound::clock::MockClock;
use sybil_ports::outbound::rate_limits::MockRateBuckets;
use sybil_ports::outbound::{Assigned, BucketsUnavailable, NewAssignment, ProfileDeletion, Wakeup};
use sybil_system::{MemoryBuckets, UuidV7Ids};
use tokio::sync::watch;

use super::*;

/// Profiles and assignments in memory, as the database keeps them.
#[derive(Default)]
struct FakeStore {
    rows: Mutex<(Vec<Profile>, Vec<Assignment>)>,
}

impl FakeStore {
    fn rows(&self) -> std::sync::MutexGuard<'_, (Vec<Profile>, Vec<Assignment>)> {
        self.rows.lock().unwrap()
    }
}

#[async_trait]
impl RateLimitStore for FakeStore {
    async fn profiles(&self) -> Result<Vec<Profile>, StorageError> {
        Ok(self.rows().0.clone())
    }
    async fn profile(&self, id: Uuid) -> Result<Option<Profile>, StorageError> {
        Ok(self.rows().0.iter().find(|p| p.id == id).cloned())
    }
    async fn create_profile(&self, profile: &Profile) -> Result<bool, StorageError> {
        let mut rows = self.rows();
        if rows
            .0
            .iter()
            .any(|p| p.name.eq_ignore_ascii_case(&profile.name))
        {
            return Ok(false);
        }
        rows.0.push(profile.clone());
        Ok(true)
    }
    async fn update_profile(&self, profile: &Profile) -> Result<bool, StorageError> {
        let mut rows = self.rows();
        let Some(stored) = rows.0.iter_mut().find(|p| p.id == profile.id) else {
            return Ok(false);
        };
        *stored = profile.clone();
        Ok(true)
    }
    async fn delete_profile(&self, id: Uuid) -> Result<ProfileDeletion, StorageError> {
        let mut rows = self.rows();
        let assigned = rows.1.iter().filter(|a| a.profile_id == id).count() as u64;
        if assigned > 0 {
            return Ok(ProfileDeletion::Assigned(assigned));
        }
        let before = rows.0.len();
        rows.0.retain(|p| p.id != id);
        Ok(if rows.0.len() < before {
            ProfileDeletion::Deleted
        } else {
            ProfileDeletion::NotFound
        })
    }
    async fn assignments(&self) -> Result<Vec<Assignment>, StorageError> {
        Ok(self.rows().1.clone())
    }
    async fn assign(&self, new: &NewAssignment) -> Result<Assigned, StorageError> {
        let mut rows = self.rows();
        let Some(profile) = rows.0.iter().find(|p| p.id == new.profile_id).cloned() else {
            return Ok(Assigned::NoProfile);
        };
        if let Some(a) = rows
            .1
            .iter_mut()
            .find(|a| a.method == new.method && a.pattern == new.pattern)
        {
            a.profile_id = profile.id;
            a.profile_name = profile.name;
            return Ok(Assigned::Repointed(a.clone()));
        }
        let a = Assignment {
            id: new.id,
            profile_id: profile.id,
            profile_name: profile.name,
            method: new.method.clone(),
            pattern: new.pattern.clone(),
            created_at: new.now,
            updated_at: new.now,
        };
        rows.1.push(a.clone());
        Ok(Assigned::Created(a))
    }
    async fn unassign(&self, id: Uuid) -> Result<bool, StorageError> {
        let mut rows = self.rows();
        let before = rows.1.len();
        rows.1.retain(|a| a.id != id);
        Ok(rows.1.len() < before)
    }
}

/// Wake-ups sent by the test (another replica's change).
struct TestWakeups(watch::Sender<()>);

struct Woken(watch::Receiver<()>);

#[async_trait]
impl Wakeup for Woken {
    async fn woken(&mut self) {
        let _ = self.0.changed().await;
    }
}

impl Wakeups for TestWakeups {
    fn subscribe(&self, _topic: Topic) -> Box<dyn Wakeup> {
        Box::new(Woken(self.0.subscribe()))
    }
}

fn clock_at(ms: i64) -> Arc<dyn Clock> {
    let mut clock = MockClock::new();
    clock.expect_now().returning(move || Timestamp(ms));
    Arc::new(clock)
}

struct Setup {
    service: Arc<RateLimitService>,
    store: Arc<FakeStore>,
    wake: Arc<TestWakeups>,
}

fn setup_with(buckets: Arc<dyn RateBuckets>, per_minute: u32) -> Setup {
    let store = Arc::new(FakeStore::default());
    let wake = Arc::new(TestWakeups(watch::channel(()).0));
    let service = Arc::new(RateLimitService::new(RateLimitDeps {
        store: store.clone(),
        buckets,
        clock: clock_at(1_000_000),
        ids: Arc::new(UuidV7Ids),
        wakeups: wake.clone(),
        per_minute,
    }));
    Setup {
        service,
        store,
        wake,
    }
}

fn setup(per_minute: u32) -> Setup {
    setup_with(Arc::new(MemoryBuckets::default()), per_minute)
}

fn input(name: &str, params: serde_json::Value) -> ProfileInput {
    ProfileInput {
        name: name.into(),
        params: params.as_object().cloned(),
        ..ProfileInput::default()
    }
}

fn assignment(profile: &Profile, method: &str, path: &str) -> AssignmentInput {
    AssignmentInput {
        profile_id: profile.id,
        method: method.into(),
        path: path.into(),
    }
}

const USER: Principal = Principal::User(Uuid::from_u128(1));
const OTHER: Principal = Principal::User(Uuid::from_u128(2));

async fn allowed(s: &RateLimitService, method: &str, path: &str, who: Principal) -> Option<bool> {
    s.check(method, path, who).await.map(|v| v.decision.allowed)
}

#[tokio::test]
async fn an_assignment_limits_each_caller_on_its_own_bucket() {
    let s = setup(0).service;
    let profile = s
        .create_profile(input("posts", json!({ "burst": 2 })))
        .await
        .unwrap();
    let (_, created) = s
        .assign(assignment(&profile, "post", "/api/threads/{id}/root"))
        .await
        .unwrap();
    assert!(created);
    let path = "/api/threads/0190/root";
    let first = s.check("POST", path, USER).await.unwrap();
    assert_eq!(
        (&*first.profile, first.burst, first.decision.remaining),
        ("posts", 2, 1)
    );
    assert_eq!(
        allowed(&s, "POST", "/api/threads/other/root", USER).await,
        Some(true)
    );
    assert_eq!(allowed(&s, "POST", path, USER).await, Some(false));
    assert_eq!(allowed(&s, "POST", path, OTHER).await, Some(true));
    let address = Principal::Address([10, 0, 0, 1].into());
    assert_eq!(allowed(&s, "POST", path, address).await, Some(true));
    assert_eq!(allowed(&s, "GET", path, USER).await, None, "another method");
    assert_eq!(allowed(&s, "POST", "/api/typing", USER).await, None);
}

#[tokio::test]
async fn the_default_profile_limits_its_routes_until_an_assignment_replaces_it() {
    let s = setup(2).service;
    for _ in 0..2 {
        assert_eq!(
            allowed(&s, "POST", "/v1/chat-completions", Principal::Service).await,
            Some(true)
        );
    }
    let refused = s
        .check("POST", "/openai/v1/chat/completions", Principal::Service)
        .await
        .unwrap();
    assert!(
        !refused.decision.allowed,
        "one bucket for every default route"
    );
    assert_eq!(&*refused.profile, "default");
    assert_eq!(refused.decision.retry_after_seconds, 30);
    let wide = s
        .create_profile(input("wide", json!({ "burst": 100 })))
        .await
        .unwrap();
    s.assign(assignment(&wide, "POST", "*")).await.unwrap();
    let v = s
        .check("POST", "/v1/chat-completions", Principal::Service)
        .await
        .unwrap();
    assert_eq!((&*v.profile, v.decision.allowed), ("wide", true));
}

#[tokio::test]
async fn unreachable_buckets_admit_unchecked() {
    let mut buckets = MockRateBuckets::new();
    buckets
        .expect_decide()
        .returning(|_, _, _, _| Err(BucketsUnavailable("connection refused".into())));
    let s = setup_with(Arc::new(buckets), 1).service;
    for _ in 0..3 {
        assert!(
            s.check("POST", "/v1/chat-completions", USER)
                .await
                .is_none()
        );
    }
}

#[tokio::test]
async fn buckets_are_charged_at_the_clock_s_time_with_the_profile_s_params() {
    let mut buckets = MockRateBuckets::new();
    buckets
        .expect_decide()
        .withf(|key, limit, now_us, consume| {
            key == "rl:default:service"
                && *limit
                    == Gcra {
                        requests_per_second: 1.0,
                        burst: 60,
                    }
                && *now_us == 1_000_000_000
                && *consume
        })
        .times(1)
        .returning(|_, limit, now, _| Ok(limit.decide(None, now)));
    let s = setup_with(Arc::new(buckets), 60).service;
    let v = s
        .check("POST", "/v1/chat-completions", Principal::Service)
        .await
        .unwrap();
    assert_eq!(
        v.decision,
        GcraDecision {
            allowed: true,
            tat_us: 1_001_000_000,
            remaining: 59,
            reset_seconds: 1,
            retry_after_seconds: 0
        }
    );
}

#[tokio::test]
async fn bad_profiles_and_assignments_are_refused_and_change_nothing() {
    let Setup {
        service: s, store, ..
    } = setup(0);
    let err = s
        .create_profile(input("x", json!({ "burst": 0 })))
        .await
        .unwrap_err();
    assert!(matches!(&err, RateLimitError::InvalidProfile(e) if e.field == "params.burst"));
    let p = s.create_profile(input("Chat", json!({}))).await.unwrap();
    assert_eq!(
        s.create_profile(input(" chat ", json!({})))
            .await
            .unwrap_err(),
        RateLimitError::NameTaken
    );
    let err = s.assign(assignment(&p, "OPTIONS", "/x")).await.unwrap_err();
    assert!(matches!(&err, RateLimitError::InvalidAssignment(e) if e.field == "method"));
    let err = s.assign(assignment(&p, "GET", "/a*")).await.unwrap_err();
    assert!(matches!(&err, RateLimitError::InvalidAssignment(e) if e.field == "path"));
    let mut unknown = p.clone();
    unknown.id = Uuid::from_u128(9);
    assert_eq!(
        s.assign(assignment(&unknown, "GET", "/x"))
            .await
            .unwrap_err(),
        RateLimitError::NotFound("rate limit profile not found")
    );
    assert_eq!(store.rows().0.len(), 1);
    assert!(store.rows().1.is_empty());
}

#[tokio::test]
async fn a_profile_is_updated_re_pointed_and_deleted_by_the_rules() {
    let s = setup(0).service;
    let a = s
        .create_profile(input("a", json!({ "burst": 1 })))
        .await
        .unwrap();
    let b = s
        .create_profile(input("b", json!({ "burst": 3 })))
        .await
        .unwrap();
    let (first, _) = s.assign(assignment(&a, "GET", "/x")).await.unwrap();
    let (again, created) = s.assign(assignment(&b, "get", "x/")).await.unwrap();
    assert!(!created);
    assert_eq!((again.id, &*again.profile_name), (first.id, "b"));
    assert_eq!(
        s.delete_profile(b.id).await.unwrap_err(),
        RateLimitError::Assigned(1)
    );
    let patch = ProfilePatch {
        params: json!({ "burst": 7 }).as_object().cloned(),
        description: Some("seven".into()),
    };
    let updated = s.update_profile(b.id, patch.clone()).await.unwrap();
    assert_eq!(
        (updated.params.burst, updated.description.as_deref()),
        (7, Some("seven"))
    );
    assert_eq!(
        s.check("GET", "/x", USER).await.unwrap().burst,
        7,
        "applied at once"
    );
    s.unassign(first.id).await.unwrap();
    assert_eq!(
        s.unassign(first.id).await.unwrap_err(),
        RateLimitError::NotFound("rate limit assignment not found")
    );
    assert!(s.check("GET", "/x", USER).await.is_none());
    s.delete_profile(b.id).await.unwrap();
    assert_eq!(
        s.update_profile(b.id, patch).await.unwrap_err(),
        RateLimitError::NotFound("rate limit profile not found")
    );
}

#[tokio::test]
async fn posts_are_limited_per_user_and_conversation_while_the_profile_exists() {
    let s = setup(0).service;
    let (c1, c2) = (Uuid::from_u128(10), Uuid::from_u128(11));
    let (u, v) = (Uuid::from_u128(1), Uuid::from_u128(2));
    assert!(s.charge_post(u, c1).await.is_none(), "no profile, no limit");
    let p = s
        .create_profile(input("conversation.post", json!({ "burst": 1 })))
        .await
        .unwrap();
    assert!(s.charge_post(u, c1).await.unwrap().decision.allowed);
    let refused = s.charge_post(u, c1).await.unwrap();
    assert!(!refused.decision.allowed);
    assert_eq!(&*refused.profile, "conversation.post");
    assert!(s.charge_post(u, c2).await.unwrap().decision.allowed);
    assert!(s.charge_post(v, c1).await.unwrap().decision.allowed);
    s.delete_profile(p.id).await.unwrap();
    assert!(s.charge_post(u, c1).await.is_none());
}

#[tokio::test]
async fn a_change_made_elsewhere_is_followed_when_woken() {
    let Setup {
        service: s,
        store,
        wake,
    } = setup(0);
    s.start_following().await.unwrap();
    assert!(s.check("GET", "/y", USER).await.is_none());
    let p = Profile {
        id: Uuid::from_u128(5),
        name: "elsewhere".into(),
        params: Gcra {
            requests_per_second: 1.0,
            burst: 4,
        },
        description: None,
        created_at: Timestamp(0),
        updated_at: Timestamp(0),
    };
    // Another replica stores a profile and an assignment.
    store.rows().0.push(p.clone());
    store.rows().1.push(Assignment {
        id: Uuid::from_u128(6),
        profile_id: p.id,
        profile_name: p.name.clone(),
        method: "GET".into(),
        pattern: PathPattern::parse("/y").unwrap(),
        created_at: Timestamp(0),
        updated_at: Timestamp(0),
    });
    wake.0.send_replace(());
    let mut seen = None;
    for _ in 0..100 {
        tokio::task::yield_now().await;
        seen = s.check("GET", "/y", USER).await;
        if seen.is_some() {
            break;
        }
    }
    assert_eq!(seen.map(|v| v.burst), Some(4));
}
