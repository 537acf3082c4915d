//! Rate-limit profiles and their assignments to routes, and the wake-up
//! every change sends.

use std::time::Duration;

use sybil_domain::Timestamp;
use sybil_domain::rate_limit::profile::POSTING_PROFILE;
use sybil_domain::rate_limit::{Assignment, Gcra, PathPattern, Profile};
use sybil_ports::outbound::{
    Assigned, NewAssignment, ProfileDeletion, RateLimitStore, Topic, Wakeup, Wakeups,
};
use sybil_storage::{BoundedStorage, SeaOrmStorage};
use uuid::Uuid;

use crate::support::TestDb;

/// Only a failure guard: a wake-up that works arrives at once.
const WAKE_GUARD: Duration = Duration::from_secs(10);

fn profile(name: &str, at: i64) -> Profile {
    Profile {
        id: Uuid::now_v7(),
        name: name.into(),
        params: Gcra {
            requests_per_second: 0.25,
            burst: u32::MAX,
        },
        description: Some(format!("{name} – limité")),
        created_at: Timestamp(at),
        updated_at: Timestamp(at),
    }
}

fn route(profile: &Profile, method: &str, path: &str, at: i64) -> NewAssignment {
    NewAssignment {
        id: Uuid::now_v7(),
        profile_id: profile.id,
        method: method.into(),
        pattern: PathPattern::parse(path).expect("a valid pattern"),
        now: Timestamp(at),
    }
}

async fn created(s: &impl RateLimitStore, profile: &Profile) {
    assert!(s.create_profile(profile).await.unwrap(), "{}", profile.name);
}

async fn assigned(s: &impl RateLimitStore, new: &NewAssignment) -> Assignment {
    match s.assign(new).await.unwrap() {
        Assigned::Created(a) => a,
        other => panic!("expected a new assignment, got {other:?}"),
    }
}

fn routes(list: &[Assignment]) -> Vec<(&str, &str)> {
    list.iter()
        .map(|a| (a.method.as_str(), a.pattern.as_str()))
        .collect()
}

pub async fn the_posting_profile_is_seeded(s: &SeaOrmStorage) {
    let profiles = s.profiles().await.unwrap();
    let [posting] = profiles.as_slice() else {
        panic!("only the seeded profile: {profiles:?}");
    };
    assert_eq!(posting.name, POSTING_PROFILE);
    assert_eq!(
        posting.params,
        Gcra {
            requests_per_second: 5.0,
            burst: 10
        }
    );
    assert_eq!(posting.description, None);
    assert!(posting.created_at.millis() > 0);
    assert_eq!(posting.created_at, posting.updated_at);
    assert_eq!(s.profile(posting.id).await.unwrap().as_ref(), Some(posting));
}

pub async fn profiles_list_by_name_and_a_name_is_taken_regardless_of_case(s: &SeaOrmStorage) {
    let beta = profile("beta", 1);
    let alpha = profile("Alpha", 2);
    let gamma = Profile {
        description: None,
        ..profile("gamma", 3)
    };
    for p in [&beta, &alpha, &gamma] {
        created(s, p).await;
    }
    assert!(!s.create_profile(&profile("ALPHA", 4)).await.unwrap());
    assert!(!s.create_profile(&profile("Beta", 4)).await.unwrap());
    let names: Vec<String> = s
        .profiles()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["Alpha", "beta", POSTING_PROFILE, "gamma"]);
    for p in [beta, alpha, gamma] {
        assert_eq!(s.profile(p.id).await.unwrap(), Some(p));
    }
    assert_eq!(s.profile(Uuid::now_v7()).await.unwrap(), None);
}

pub async fn an_update_stores_params_description_and_updated_at(s: &SeaOrmStorage) {
    let original = profile("chat", 10);
    created(s, &original).await;
    let changed = Profile {
        params: Gcra {
            requests_per_second: 100.5,
            burst: 1,
        },
        description: None,
        updated_at: Timestamp(20),
        ..original.clone()
    };
    assert!(s.update_profile(&changed).await.unwrap());
    assert_eq!(s.profile(original.id).await.unwrap(), Some(changed));
    let gone = profile("gone", 30);
    assert!(!s.update_profile(&gone).await.unwrap());
    assert_eq!(s.profile(gone.id).await.unwrap(), None);
}

pub async fn a_profile_is_deleted_only_once_unassigned(s: &SeaOrmStorage) {
    let p = profile("busy", 1);
    created(s, &p).await;
    let first = assigned(s, &route(&p, "POST", "/v1/chats", 2)).await;
    let second = assigned(s, &route(&p, "GET", "/api/*", 3)).await;
    assert_eq!(
        s.delete_profile(p.id).await.unwrap(),
        ProfileDeletion::Assigned(2)
    );
    assert!(s.profile(p.id).await.unwrap().is_some(), "nothing deleted");
    assert_eq!(s.assignments().await.unwrap().len(), 2);
    assert!(s.unassign(first.id).await.unwrap());
    assert_eq!(
        s.delete_profile(p.id).await.unwrap(),
        ProfileDeletion::Assigned(1)
    );
    assert!(s.unassign(second.id).await.unwrap());
    assert_eq!(
        s.delete_profile(p.id).await.unwrap(),
        ProfileDeletion::Deleted
    );
    assert_eq!(s.profile(p.id).await.unwrap(), None);
    assert_eq!(
        s.delete_profile(p.id).await.unwrap(),
        ProfileDeletion::NotFound
    );
}

pub async fn assigning_a_route_again_repoints_it(s: &SeaOrmStorage) {
    let (old, new) = (profile("old", 1), profile("new", 1));
    created(s, &old).await;
    created(s, &new).await;
    let first = assigned(s, &route(&old, "POST", "/api/threads/{id}/root", 5)).await;
    assert_eq!(first.profile_name, "old");
    assert_eq!(first.pattern.as_str(), "/api/threads/:id/root");
    assert_eq!(
        (first.created_at, first.updated_at),
        (Timestamp(5), Timestamp(5))
    );
    assert_eq!(s.assignments().await.unwrap(), std::slice::from_ref(&first));

    let again = route(&new, "POST", "/api/threads/:id/root", 9);
    let Assigned::Repointed(moved) = s.assign(&again).await.unwrap() else {
        panic!("the same method and pattern is re-pointed");
    };
    let want = Assignment {
        profile_id: new.id,
        profile_name: "new".into(),
        updated_at: Timestamp(9),
        ..first.clone()
    };
    assert_eq!(moved, want, "same id and created_at, new profile");
    assert_eq!(s.assignments().await.unwrap(), [want]);

    let other_method = assigned(s, &route(&old, "GET", "/api/threads/:id/root", 10)).await;
    assert_ne!(other_method.id, first.id);
}

pub async fn assigning_an_unknown_profile_stores_nothing(s: &SeaOrmStorage) {
    let ghost = profile("ghost", 1);
    assert_eq!(
        s.assign(&route(&ghost, "GET", "/x", 2)).await.unwrap(),
        Assigned::NoProfile
    );
    assert_eq!(s.assignments().await.unwrap(), []);
}

pub async fn identical_concurrent_assignments_make_one_row(s: &SeaOrmStorage) {
    let p = profile("racing", 1);
    created(s, &p).await;
    let (a, b) = (route(&p, "PUT", "/r", 2), route(&p, "PUT", "/r", 3));
    let (ra, rb) = tokio::join!(s.assign(&a), s.assign(&b));
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    let (made, moved) = match (ra, rb) {
        (Assigned::Created(made), Assigned::Repointed(moved))
        | (Assigned::Repointed(moved), Assigned::Created(made)) => (made, moved),
        other => panic!("one creates and the other re-points: {other:?}"),
    };
    assert_eq!(moved.id, made.id);
    assert_eq!(moved.created_at, made.created_at);
    assert_eq!(s.assignments().await.unwrap().len(), 1);
}

pub async fn unassign_says_whether_there_was_one(s: &SeaOrmStorage) {
    let p = profile("short", 1);
    created(s, &p).await;
    let a = assigned(s, &route(&p, "HEAD", "/h", 2)).await;
    assert!(s.unassign(a.id).await.unwrap());
    assert!(!s.unassign(a.id).await.unwrap());
    assert_eq!(s.assignments().await.unwrap(), []);
}

pub async fn assignments_list_by_method_then_pattern(s: &SeaOrmStorage) {
    let p = profile("many", 1);
    created(s, &p).await;
    // Byte order on both backends: `*` sorts before `:`, `/` before letters.
    for (method, path) in [
        ("POST", "/v1/chats"),
        ("GET", "/api/:id"),
        ("DELETE", "/z"),
        ("GET", "/api/*"),
        ("GET", "/"),
        ("GET", "/api"),
    ] {
        assigned(s, &route(&p, method, path, 2)).await;
    }
    let list = s.assignments().await.unwrap();
    assert_eq!(
        routes(&list),
        [
            ("DELETE", "/z"),
            ("GET", "/"),
            ("GET", "/api"),
            ("GET", "/api/*"),
            ("GET", "/api/:id"),
            ("POST", "/v1/chats"),
        ]
    );
    assert!(list.iter().all(|a| a.profile_name == "many"));
}

async fn woken(wakeup: &mut Box<dyn Wakeup>, after: &str) {
    tokio::time::timeout(WAKE_GUARD, wakeup.woken())
        .await
        .unwrap_or_else(|_| panic!("no wake-up after {after}"));
}

pub async fn every_rate_limit_change_wakes_its_followers(db: &TestDb) {
    let store = BoundedStorage::new(db.storage.clone());
    let mut wakeup = store.subscribe(Topic::RateLimits);
    if db.url.starts_with("postgres") {
        db.spawn_listener(&db.url);
        // The listener wakes every follower once it listens; from then on
        // no notification is missed.
        woken(&mut wakeup, "the listener started").await;
    }
    let p = profile("watched", 1);
    assert!(store.create_profile(&p).await.unwrap());
    woken(&mut wakeup, "a creation").await;
    let changed = Profile {
        updated_at: Timestamp(2),
        ..p.clone()
    };
    assert!(store.update_profile(&changed).await.unwrap());
    woken(&mut wakeup, "an update").await;
    let a = assigned(&store, &route(&p, "GET", "/w", 3)).await;
    woken(&mut wakeup, "an assignment").await;
    assert!(store.unassign(a.id).await.unwrap());
    woken(&mut wakeup, "an unassignment").await;
    assert_eq!(
        store.delete_profile(p.id).await.unwrap(),
        ProfileDeletion::Deleted
    );
    woken(&mut wakeup, "a deletion").await;
}
