//! The enums of request bodies (`provider`, `role`, …) are read from a JSON
//! string, so that `null` or a number is "must be a string" (serde_json's
//! own enum parsing calls it "expected value", as if the body were not
//! JSON), and an unknown name is "must be one of …" with the names.

use poem_openapi::registry::Registry;
use poem_openapi::types::{ParseFromParameter, Type};

/// `value` as one of `T`'s names.
pub fn parse<T: Type + ParseFromParameter>(value: &str) -> Result<T, String> {
    T::parse_from_parameter(value)
        .map_err(|_| format!("must be one of {}", names::<T>().join(", ")))
}

/// The names of the enum `T`, as its schema lists them.
fn names<T: Type>() -> Vec<String> {
    let mut registry = Registry::new();
    T::register(&mut registry);
    registry
        .schemas
        .get(T::name().as_ref())
        .map(|schema| {
            schema
                .enum_items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// `TryFrom<String>` for enums deriving poem-openapi's `Enum`; each also
/// carries `#[serde(try_from = "String")]`.
#[macro_export]
macro_rules! from_string {
    ($($enum:ty),+ $(,)?) => {$(
        impl TryFrom<String> for $enum {
            type Error = String;
            fn try_from(value: String) -> Result<Self, String> {
                $crate::string_enum::parse(&value)
            }
        }
    )+};
}
