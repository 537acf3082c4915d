//! Which bucket decides a request (§7.2, §7.5, §7.6): the most specific
//! assignment for its method and path, else the built-in `default` profile
//! on the routes `RATE_LIMIT_PER_MINUTE` covers, else none.

use std::collections::HashMap;
use std::sync::Arc;

use uuid::Uuid;

use super::profile::POSTING_PROFILE;
use super::{Gcra, PathPattern, Profile};
use crate::Timestamp;

/// A stored assignment of a profile to a method and path pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    pub id: Uuid,
    pub profile_id: Uuid,
    pub profile_name: String,
    pub method: String,
    pub pattern: PathPattern,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A bucket family: its name within the bucket keys, the profile shown in
/// `X-RateLimit-Profile`, what it covers (the metrics' `rule` label:
/// `METHOD pattern`, `default` or `posting`), and its parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub bucket: Arc<str>,
    pub profile: Arc<str>,
    pub scope: Arc<str>,
    pub limit: Gcra,
}

/// The name of the built-in profile (§7.6).
pub const DEFAULT_PROFILE: &str = "default";

/// The routes of the built-in profile, all `POST`, sharing one bucket per
/// principal.
pub const DEFAULT_ROUTES: &[&str] = &[
    "/v1/chat-completions",
    "/v1/chat-completions/stream",
    "/v1/chats/title/suggest",
    "/v1/searches/:searchId/run",
    "/openai/v1/chat/completions",
    "/api/v1/chat/completions",
];

struct Entry {
    pattern: PathPattern,
    rule: Rule,
}

/// Profiles and assignments as one process holds them, built anew on
/// every change.
pub struct LimitTable {
    /// Per method, most specific pattern first.
    by_method: HashMap<String, Vec<Entry>>,
    default: Option<(Vec<PathPattern>, Rule)>,
    posting: Option<Rule>,
}

impl LimitTable {
    /// `per_minute` is `RATE_LIMIT_PER_MINUTE` (`0`: no default profile).
    pub fn new(profiles: &[Profile], assignments: &[Assignment], per_minute: u32) -> LimitTable {
        let by_id: HashMap<Uuid, &Profile> = profiles.iter().map(|p| (p.id, p)).collect();
        let mut by_method: HashMap<String, Vec<Entry>> = HashMap::new();
        for a in assignments {
            let Some(profile) = by_id.get(&a.profile_id) else {
                continue;
            };
            by_method.entry(a.method.clone()).or_default().push(Entry {
                pattern: a.pattern.clone(),
                rule: Rule {
                    bucket: a.id.to_string().into(),
                    profile: profile.name.as_str().into(),
                    scope: format!("{} {}", a.method, a.pattern.as_str()).into(),
                    limit: profile.params,
                },
            });
        }
        for entries in by_method.values_mut() {
            entries.sort_by(|a, b| a.pattern.precedence(&b.pattern));
        }
        let default = (per_minute > 0).then(|| {
            let routes = DEFAULT_ROUTES
                .iter()
                .map(|r| PathPattern::stored(r))
                .collect();
            let rule = Rule {
                bucket: DEFAULT_PROFILE.into(),
                profile: DEFAULT_PROFILE.into(),
                scope: DEFAULT_PROFILE.into(),
                limit: Gcra {
                    requests_per_second: f64::from(per_minute) / 60.0,
                    burst: per_minute,
                },
            };
            (routes, rule)
        });
        let posting = profiles
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(POSTING_PROFILE))
            .map(|p| Rule {
                bucket: p.id.to_string().into(),
                profile: p.name.as_str().into(),
                scope: "posting".into(),
                limit: p.params,
            });
        LimitTable {
            by_method,
            default,
            posting,
        }
    }

    /// The rule deciding `method` on `path`, if any; `OPTIONS` never has one.
    pub fn rule_for(&self, method: &str, path: &str) -> Option<&Rule> {
        if let Some(entry) = self
            .by_method
            .get(method)
            .and_then(|entries| entries.iter().find(|e| e.pattern.matches(path)))
        {
            return Some(&entry.rule);
        }
        let (routes, rule) = self.default.as_ref()?;
        (method == "POST" && routes.iter().any(|r| r.matches(path))).then_some(rule)
    }

    /// The posting limit (§7.5), while a `conversation.post` profile exists.
    pub fn posting(&self) -> Option<&Rule> {
        self.posting.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(name: &str, burst: u32) -> Profile {
        Profile {
            id: Uuid::from_u128(u128::from(burst)),
            name: name.into(),
            params: Gcra {
                requests_per_second: 1.0,
                burst,
            },
            description: None,
            created_at: Timestamp(0),
            updated_at: Timestamp(0),
        }
    }

    fn assign(id: u128, profile: &Profile, method: &str, pattern: &str) -> Assignment {
        Assignment {
            id: Uuid::from_u128(id),
            profile_id: profile.id,
            profile_name: profile.name.clone(),
            method: method.into(),
            pattern: PathPattern::parse(pattern).unwrap(),
            created_at: Timestamp(0),
            updated_at: Timestamp(0),
        }
    }

    fn profile_of<'a>(table: &'a LimitTable, method: &str, path: &str) -> Option<&'a str> {
        table.rule_for(method, path).map(|r| &*r.profile)
    }

    #[test]
    fn the_default_profile_covers_its_post_routes_in_one_bucket() {
        let table = LimitTable::new(&[], &[], 120);
        let a = table.rule_for("POST", "/v1/chat-completions").unwrap();
        let b = table.rule_for("POST", "/v1/searches/s1/run").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.limit.burst, 120);
        assert_eq!(a.limit.requests_per_second, 2.0);
        assert!(table.rule_for("POST", "/api/v1/chat/completions").is_some());
        assert!(table.rule_for("GET", "/v1/chat-completions").is_none());
        assert!(table.rule_for("POST", "/v1/chats").is_none());
        assert!(
            LimitTable::new(&[], &[], 0)
                .rule_for("POST", "/v1/chat-completions")
                .is_none()
        );
    }

    #[test]
    fn the_most_specific_assignment_decides() {
        let (wide, narrow) = (profile("wide", 1), profile("narrow", 2));
        let table = LimitTable::new(
            &[wide.clone(), narrow.clone()],
            &[
                assign(1, &wide, "POST", "*"),
                assign(2, &narrow, "POST", "/api/threads/{id}/root"),
                assign(3, &wide, "GET", "/api/*"),
            ],
            60,
        );
        assert_eq!(
            profile_of(&table, "POST", "/api/threads/x/root"),
            Some("narrow")
        );
        assert_eq!(profile_of(&table, "POST", "/api/typing"), Some("wide"));
        // An assignment replaces the default on the default's routes.
        assert_eq!(
            profile_of(&table, "POST", "/v1/chat-completions"),
            Some("wide")
        );
        assert_eq!(
            profile_of(&table, "GET", "/api/conversations"),
            Some("wide")
        );
        assert_eq!(profile_of(&table, "DELETE", "/api/conversations"), None);
        let buckets: Vec<String> = ["/api/threads/x/root", "/api/threads/y/root", "/api/typing"]
            .iter()
            .map(|p| table.rule_for("POST", p).unwrap().bucket.to_string())
            .collect();
        assert_eq!(buckets[0], buckets[1], "one bucket per assignment");
        assert_ne!(buckets[0], buckets[2]);
    }

    #[test]
    fn an_assignment_of_a_missing_profile_is_skipped() {
        let gone = profile("gone", 3);
        let table = LimitTable::new(&[], &[assign(1, &gone, "GET", "*")], 0);
        assert!(table.rule_for("GET", "/x").is_none());
    }

    #[test]
    fn the_posting_limit_follows_its_profile() {
        assert!(LimitTable::new(&[], &[], 0).posting().is_none());
        let post = profile("conversation.post", 10);
        let table = LimitTable::new(&[profile("other", 1), post.clone()], &[], 0);
        let rule = table.posting().unwrap();
        assert_eq!(rule.limit.burst, 10);
        assert_eq!(&*rule.bucket, post.id.to_string());
    }
}
