//! Request objects are read from JSON objects only. serde's derive also
//! reads a struct from an array of its fields in order (`[null, null]` for
//! `{ "title": null, "query": null }`), which the spec forbids; each request
//! struct derives with `#[serde(remote = "Self")]` and gets its
//! `Deserialize` from `object_only!`, which asks for a map instead.

use serde::Deserializer;
use serde::de::Visitor;

/// Hands a struct's visitor to `deserialize_map` (an array is then "must be
/// an object"); every other request goes through unchanged.
pub struct ObjectOnly<D>(pub D);

impl<'de, D: Deserializer<'de>> Deserializer<'de> for ObjectOnly<D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

/// `Deserialize` for request structs deriving it with `remote = "Self"`.
macro_rules! object_only {
    ($($type:ty),+ $(,)?) => {$(
        impl<'de> serde::Deserialize<'de> for $type {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                <$type>::deserialize($crate::dto::object_only::ObjectOnly(deserializer))
            }
        }
    )+};
}

pub(crate) use object_only;

#[cfg(test)]
mod tests {
    #[derive(Debug, serde::Deserialize)]
    #[serde(remote = "Self")]
    struct Pair {
        #[allow(dead_code)]
        a: Option<i64>,
    }

    object_only!(Pair);

    #[test]
    fn objects_are_read_and_arrays_refused() {
        assert!(serde_json::from_str::<Pair>(r#"{"a": 1}"#).is_ok());
        let err = serde_json::from_str::<Pair>("[1]").unwrap_err().to_string();
        assert!(
            err.starts_with("invalid type: sequence, expected struct Pair"),
            "{err}"
        );
        assert!(serde_json::from_value::<Pair>(serde_json::json!([1])).is_err());
    }
}
