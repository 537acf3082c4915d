//! A request's tool definitions, written once per tool set.
//!
//! A server offers the same tools (one `Arc<[ToolSpec]>`) to every
//! completion. Building the SDK's typed definitions for each call cloned
//! every JSON schema tree, wrote it out and dropped it again: a tenth of
//! the instructions of a whole completion (callgrind). So the definitions
//! are built in the SDK's types and written the first time a tool set is
//! seen, and that text is sent while the set stays the same.

use std::sync::{Arc, Mutex, PoisonError};

use async_openai::error::OpenAIError;
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use sybil_ports::outbound::llm::ToolSpec;

/// JSON text shared between requests, written out verbatim.
#[derive(Clone, Debug)]
pub(crate) struct SharedJson(Arc<RawValue>);

impl Serialize for SharedJson {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// A provider's typed request body with the tool definitions written by
/// `ToolJson` beside its own fields.
#[derive(Serialize)]
pub(crate) struct WithTools<R> {
    #[serde(flatten)]
    pub(crate) request: R,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) tools: Option<SharedJson>,
}

/// The last tool set seen and its definitions as JSON text.
#[derive(Default)]
pub(crate) struct ToolJson {
    last: Mutex<Option<(Arc<[ToolSpec]>, SharedJson)>>,
}

impl ToolJson {
    /// `specs` as the JSON of what `typed` builds from them; `None` for no
    /// tools. Built again only when the set is another one.
    pub(crate) fn get<T: Serialize>(
        &self,
        specs: &Arc<[ToolSpec]>,
        typed: impl FnOnce(&[ToolSpec]) -> T,
    ) -> Result<Option<SharedJson>, OpenAIError> {
        if specs.is_empty() {
            return Ok(None);
        }
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((known, json)) = last.as_ref()
            && Arc::ptr_eq(known, specs)
        {
            return Ok(Some(json.clone()));
        }
        let text = serde_json::value::to_raw_value(&typed(specs))
            .map_err(|e| OpenAIError::InvalidArgument(e.to_string()))?;
        let json = SharedJson(Arc::from(text));
        *last = Some((specs.clone(), json.clone()));
        Ok(Some(json))
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use serde_json::json;

    use super::*;

    fn specs(name: &str) -> Arc<[ToolSpec]> {
        Arc::from(vec![ToolSpec {
            name: name.into(),
            description: "d".into(),
            parameters: json!({"type": "object"}),
        }])
    }

    fn names(specs: &[ToolSpec]) -> Vec<String> {
        specs.iter().map(|s| s.name.clone()).collect()
    }

    #[test]
    fn one_set_is_written_once_and_another_set_again() {
        let cache = ToolJson::default();
        let built = Cell::new(0);
        let get = |set: &Arc<[ToolSpec]>| {
            let json = cache.get(set, |s| {
                built.set(built.get() + 1);
                names(s)
            });
            serde_json::to_string(&json.unwrap()).unwrap()
        };
        let (a, b) = (specs("a"), specs("b"));
        assert_eq!(get(&a), r#"["a"]"#);
        assert_eq!(get(&a), r#"["a"]"#);
        assert_eq!(built.get(), 1);
        assert_eq!(get(&b), r#"["b"]"#);
        assert_eq!(built.get(), 2);
    }

    #[test]
    fn no_tools_is_none() {
        let none: Arc<[ToolSpec]> = Arc::from(Vec::new());
        let json = ToolJson::default().get(&none, names).unwrap();
        assert!(json.is_none());
    }
}
