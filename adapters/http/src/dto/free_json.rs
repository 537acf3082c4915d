//! Free-form JSON fields (`metadata`, an OpenAI message's `content`). Each is
//! read as raw text first, which serde_json does without recursion at any
//! depth, and parsed only once the text is known to nest at most
//! `MAX_DEPTH` deep: a deeper one is a 400 naming the field, and what is
//! stored can always be parsed again.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use serde_json::value::RawValue;
use sybil_domain::json_input::{MAX_DEPTH, depth_rule, nesting_depth};

/// A required free-form field.
pub fn bounded<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
    let raw = Box::<RawValue>::deserialize(deserializer)?;
    parse_bounded(&raw).map_err(D::Error::custom)
}

/// An optional free-form field (`null` or absent: `None`); use it with
/// `#[serde(default, deserialize_with = …)]`.
pub fn bounded_option<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Value>, D::Error> {
    Option::<Box<RawValue>>::deserialize(deserializer)?
        .map(|raw| parse_bounded(&raw).map_err(D::Error::custom))
        .transpose()
}

fn parse_bounded(raw: &RawValue) -> Result<Value, String> {
    if nesting_depth(raw.get().as_bytes(), MAX_DEPTH) > MAX_DEPTH {
        return Err(depth_rule());
    }
    serde_json::from_str(raw.get()).map_err(|e| e.to_string())
}
