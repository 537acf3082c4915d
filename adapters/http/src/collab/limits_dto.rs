//! The shapes of the admin's rate-limit routes (§2.4, §4.12).

use std::collections::BTreeMap;

use poem_openapi::Object;
use serde::Deserialize;
use serde_json::{Map, Value};
use sybil_domain::rate_limit::profile::{ALGORITHM, params_json};
use sybil_domain::rate_limit::{Assignment, Profile};
use sybil_wire::time::iso;

#[derive(Debug, Object)]
#[oai(rename = "RateLimitProfile")]
pub struct ProfileView {
    pub id: String,
    pub name: String,
    /// Always `gcra`.
    pub algorithm: String,
    /// `requests_per_second` (number > 0) and `burst` (integer ≥ 1), every key present.
    pub params: Value,
    #[oai(skip_serializing_if_is_none)]
    pub description: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&Profile> for ProfileView {
    fn from(p: &Profile) -> ProfileView {
        ProfileView {
            id: p.id.to_string(),
            name: p.name.clone(),
            algorithm: ALGORITHM.into(),
            params: params_json(p.params),
            description: p.description.clone(),
            created_at: iso(p.created_at),
            updated_at: iso(p.updated_at),
        }
    }
}

#[derive(Debug, Object)]
#[oai(rename = "RateLimitAssignment")]
pub struct AssignmentView {
    pub id: String,
    pub profile_id: String,
    pub profile_name: String,
    /// Upper case.
    pub method: String,
    /// `{name}` segments are stored as `:name`.
    pub path_pattern: String,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&Assignment> for AssignmentView {
    fn from(a: &Assignment) -> AssignmentView {
        AssignmentView {
            id: a.id.to_string(),
            profile_id: a.profile_id.to_string(),
            profile_name: a.profile_name.clone(),
            method: a.method.clone(),
            path_pattern: a.pattern.as_str().to_string(),
            created_at: iso(a.created_at),
            updated_at: iso(a.updated_at),
        }
    }
}

#[derive(Debug, Object, Deserialize)]
pub struct CreateProfileRequest {
    /// Trimmed, 1–64 characters, unique regardless of case.
    pub name: String,
    /// `gcra` (the default and the only one).
    pub algorithm: Option<String>,
    /// Over the defaults `{"requests_per_second": 1, "burst": 1}`.
    pub params: Option<BTreeMap<String, Value>>,
    /// Blank is absent.
    pub description: Option<String>,
}

#[derive(Debug, Object, Deserialize)]
pub struct UpdateProfileRequest {
    /// Merged key by key into the stored params.
    pub params: Option<BTreeMap<String, Value>>,
    /// `""` clears it.
    pub description: Option<String>,
}

#[derive(Debug, Object, Deserialize)]
pub struct CreateAssignmentRequest {
    pub profile_id: String,
    /// One of `GET POST PUT PATCH DELETE HEAD`, any case.
    pub method: String,
    /// `*`, a prefix ending in `/*`, or segments where `{name}`, `:name`
    /// or `*` match any one.
    pub path: String,
}

pub fn params_in(params: Option<BTreeMap<String, Value>>) -> Option<Map<String, Value>> {
    params.map(|p| p.into_iter().collect())
}
