//! A provider's response body kept as the JSON text it arrived as. It goes
//! back to the client as `raw` verbatim: parsing it into a `Value` tree and
//! writing that tree out again showed in the profile of a loaded server, and
//! an OpenAI body is mostly the request echoed back.

use serde_json::Value;
use serde_json::value::RawValue;

/// Valid JSON text, as received.
#[derive(Debug, Clone)]
pub struct RawJson(Box<RawValue>);

impl RawJson {
    /// `null`, for an answer with no provider body (a stopped stream).
    pub fn null() -> RawJson {
        RawJson::from_value(&Value::Null)
    }

    /// Written out, for bodies that only exist as a tree (assembled from a
    /// stream's events).
    pub fn from_value(value: &Value) -> RawJson {
        // Writing a `Value` cannot fail: its map keys are strings.
        RawJson(serde_json::value::to_raw_value(value).expect("a Value is valid JSON"))
    }

    /// For writing out verbatim (`RawValue` serializes as its text).
    pub fn into_raw(self) -> Box<RawValue> {
        self.0
    }

    /// The JSON text.
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// Parsed into a tree, where one is needed (error bodies, tests).
    pub fn to_value(&self) -> Value {
        serde_json::from_str(self.0.get()).expect("RawJson holds valid JSON")
    }
}

impl From<Box<RawValue>> for RawJson {
    fn from(raw: Box<RawValue>) -> RawJson {
        RawJson(raw)
    }
}

/// Equal when the texts are: the body is compared as received.
impl PartialEq for RawJson {
    fn eq(&self, other: &RawJson) -> bool {
        self.get() == other.get()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn text_is_kept_as_received_and_parses_back() {
        let raw: Box<RawValue> = serde_json::from_str(r#"{ "b": 1,  "a": [true, null] }"#).unwrap();
        let raw = RawJson::from(raw);
        assert_eq!(raw.get(), r#"{ "b": 1,  "a": [true, null] }"#);
        assert_eq!(raw.to_value(), json!({ "a": [true, null], "b": 1 }));
        assert_eq!(RawJson::from_value(&json!({ "a": 1 })).get(), r#"{"a":1}"#);
        assert_eq!(RawJson::null().get(), "null");
    }
}
