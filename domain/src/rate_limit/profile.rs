//! Rate-limit profiles (§2.4, §4.12, §7.1): a name, GCRA parameters with
//! their defaults filled in, and a description.

use serde_json::{Map, Value};
use uuid::Uuid;

use super::{Gcra, RuleError};
use crate::Timestamp;

/// The only algorithm (§7.1).
pub const ALGORITHM: &str = "gcra";
/// The profile that limits posts per user and conversation (§7.5).
pub const POSTING_PROFILE: &str = "conversation.post";
pub const MAX_NAME: usize = 64;

/// A stored profile. Its algorithm is always [`ALGORITHM`].
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub id: Uuid,
    pub name: String,
    pub params: Gcra,
    pub description: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// `params` when none are given: one request per second, no burst.
pub const DEFAULT_PARAMS: Gcra = Gcra {
    requests_per_second: 1.0,
    burst: 1,
};

/// A profile's fields as checked on creation.
#[derive(Debug, Clone, PartialEq)]
pub struct NewProfile {
    pub name: String,
    pub params: Gcra,
    pub description: Option<String>,
}

impl NewProfile {
    /// `name` trimmed, 1–64 characters; `algorithm` trimmed and lower-cased,
    /// `gcra` only; `params` over the defaults; a blank description absent.
    pub fn check(
        name: &str,
        algorithm: Option<&str>,
        params: Option<&Map<String, Value>>,
        description: Option<&str>,
    ) -> Result<NewProfile, RuleError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME {
            return Err(RuleError::new(
                "name",
                format!("name must be 1 to {MAX_NAME} characters"),
            ));
        }
        if let Some(algorithm) = algorithm
            && algorithm.trim().to_lowercase() != ALGORITHM
        {
            return Err(RuleError::new(
                "algorithm",
                format!("unsupported algorithm: only {ALGORITHM} is accepted"),
            ));
        }
        let params = match params {
            Some(given) => merge_params(DEFAULT_PARAMS, given)?,
            None => DEFAULT_PARAMS,
        };
        Ok(NewProfile {
            name: name.to_string(),
            params,
            description: description_of(description),
        })
    }
}

/// A change to a profile: `params` merged key by key, `description`
/// replaced (`""` clears it); `None` keeps what is stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProfilePatch {
    pub params: Option<Map<String, Value>>,
    pub description: Option<String>,
}

impl Profile {
    /// The profile with `patch` applied at `now`, or the rule it breaks.
    pub fn patched(&self, patch: &ProfilePatch, now: Timestamp) -> Result<Profile, RuleError> {
        let params = match &patch.params {
            Some(given) => merge_params(self.params, given)?,
            None => self.params,
        };
        let description = match &patch.description {
            Some(d) => description_of(Some(d)),
            None => self.description.clone(),
        };
        Ok(Profile {
            params,
            description,
            updated_at: now,
            ..self.clone()
        })
    }
}

fn description_of(given: Option<&str>) -> Option<String> {
    given
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_string)
}

/// `base` with the keys of `given` replaced; any key other than the two of
/// §7.1, or a value outside its range, is refused.
pub fn merge_params(base: Gcra, given: &Map<String, Value>) -> Result<Gcra, RuleError> {
    let mut params = base;
    for (key, value) in given {
        match key.as_str() {
            "requests_per_second" => {
                params.requests_per_second = value
                    .as_f64()
                    .filter(|r| r.is_finite() && *r > 0.0)
                    .ok_or_else(|| {
                    RuleError::new(
                        "params.requests_per_second",
                        "params.requests_per_second must be a number greater than 0",
                    )
                })?;
            }
            "burst" => {
                params.burst = whole_number(value).filter(|b| *b >= 1).ok_or_else(|| {
                    RuleError::new(
                        "params.burst",
                        format!("params.burst must be an integer from 1 to {}", u32::MAX),
                    )
                })?;
            }
            other => {
                return Err(RuleError::new(
                    format!("params.{other}"),
                    format!(
                        "params.{other} is not a parameter of {ALGORITHM} (requests_per_second, burst)"
                    ),
                ));
            }
        }
    }
    Ok(params)
}

/// A JSON integer (`10`, or `10.0`) that fits a `u32`.
fn whole_number(value: &Value) -> Option<u32> {
    if let Some(n) = value.as_u64() {
        return u32::try_from(n).ok();
    }
    let f = value.as_f64()?;
    (f.fract() == 0.0 && f >= 0.0 && f <= f64::from(u32::MAX)).then_some(f as u32)
}

/// The `params` object shown for a profile, every key present.
pub fn params_json(params: Gcra) -> Value {
    serde_json::json!({
        "requests_per_second": params.requests_per_second,
        "burst": params.burst,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    fn field(result: Result<NewProfile, RuleError>) -> String {
        result.unwrap_err().field
    }

    #[test]
    fn a_new_profile_is_trimmed_and_gets_the_default_params() {
        let p = NewProfile::check("  chat  ", Some(" GCRA "), None, Some("  ")).unwrap();
        assert_eq!(p.name, "chat");
        assert_eq!(p.params, DEFAULT_PARAMS);
        assert_eq!(p.description, None);
        let given = map(json!({ "burst": 5 }));
        let p = NewProfile::check("x", None, Some(&given), Some(" d ")).unwrap();
        assert_eq!(
            p.params,
            Gcra {
                requests_per_second: 1.0,
                burst: 5
            }
        );
        assert_eq!(p.description.as_deref(), Some("d"));
    }

    #[test]
    fn names_are_one_to_sixty_four_characters() {
        assert_eq!(field(NewProfile::check("   ", None, None, None)), "name");
        assert!(NewProfile::check(&"é".repeat(64), None, None, None).is_ok());
        assert_eq!(
            field(NewProfile::check(&"é".repeat(65), None, None, None)),
            "name"
        );
    }

    #[test]
    fn only_gcra_is_accepted() {
        let err = NewProfile::check("x", Some("token_bucket"), None, None).unwrap_err();
        assert_eq!(err.field, "algorithm");
        assert!(err.message.contains("unsupported algorithm"));
    }

    #[test]
    fn params_break_their_rules_by_name() {
        let bad = [
            (
                json!({ "requests_per_second": 0 }),
                "params.requests_per_second",
            ),
            (
                json!({ "requests_per_second": -1.5 }),
                "params.requests_per_second",
            ),
            (
                json!({ "requests_per_second": "5" }),
                "params.requests_per_second",
            ),
            (json!({ "burst": 0 }), "params.burst"),
            (json!({ "burst": 1.5 }), "params.burst"),
            (json!({ "burst": 5_000_000_000_u64 }), "params.burst"),
            (json!({ "burst": null }), "params.burst"),
            (json!({ "period": 60 }), "params.period"),
        ];
        for (params, want) in bad {
            let given = map(params.clone());
            assert_eq!(
                field(NewProfile::check("x", None, Some(&given), None)),
                want,
                "{params}"
            );
        }
        let given = map(json!({ "requests_per_second": 0.25, "burst": 10.0 }));
        let p = NewProfile::check("x", None, Some(&given), None).unwrap();
        assert_eq!(
            p.params,
            Gcra {
                requests_per_second: 0.25,
                burst: 10
            }
        );
    }

    fn stored() -> Profile {
        Profile {
            id: Uuid::nil(),
            name: "p".into(),
            params: Gcra {
                requests_per_second: 2.0,
                burst: 4,
            },
            description: Some("old".into()),
            created_at: Timestamp(1),
            updated_at: Timestamp(1),
        }
    }

    #[test]
    fn a_patch_merges_params_and_keeps_what_it_omits() {
        let patch = ProfilePatch {
            params: Some(map(json!({ "burst": 9 }))),
            description: None,
        };
        let p = stored().patched(&patch, Timestamp(5)).unwrap();
        assert_eq!(
            p.params,
            Gcra {
                requests_per_second: 2.0,
                burst: 9
            }
        );
        assert_eq!(p.description.as_deref(), Some("old"));
        assert_eq!((p.created_at, p.updated_at), (Timestamp(1), Timestamp(5)));
        let cleared = ProfilePatch {
            params: None,
            description: Some(String::new()),
        };
        assert_eq!(
            stored()
                .patched(&cleared, Timestamp(5))
                .unwrap()
                .description,
            None
        );
        let bad = ProfilePatch {
            params: Some(map(json!({ "burst": 0 }))),
            description: None,
        };
        assert_eq!(
            stored().patched(&bad, Timestamp(5)).unwrap_err().field,
            "params.burst"
        );
    }

    #[test]
    fn params_are_shown_with_every_key() {
        assert_eq!(
            params_json(DEFAULT_PARAMS),
            json!({ "requests_per_second": 1.0, "burst": 1 })
        );
    }
}
