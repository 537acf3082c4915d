//! The optional bearer token of `ADMIN_TOKEN`, declared on the routes that
//! check it.

use serde_yaml::{Mapping, Value};

const BEARER_SCHEME: &str = "bearerAuth";

/// The `bearerAuth` scheme, and on every operation whose path needs the
/// token (`auth::needs_token`) the choice of it or of nothing.
pub(super) fn declare_bearer_auth(spec: &mut Value) {
    let Some(root) = spec.as_mapping_mut() else {
        return;
    };
    let scheme: Value = serde_yaml::from_str(
        "type: http\nscheme: bearer\ndescription: The server's ADMIN_TOKEN. Needed only when the server sets one; without it the API is open.\n",
    )
    .unwrap_or(Value::Null);
    let components = root
        .entry("components".into())
        .or_insert_with(|| Value::Mapping(Mapping::new()));
    if let Some(components) = components.as_mapping_mut() {
        let schemes = components
            .entry("securitySchemes".into())
            .or_insert_with(|| Value::Mapping(Mapping::new()));
        if let Some(schemes) = schemes.as_mapping_mut() {
            schemes.insert(BEARER_SCHEME.into(), scheme);
        }
    }
    let token_or_none: Value =
        serde_yaml::from_str(&format!("[{{{BEARER_SCHEME}: []}}, {{}}]")).unwrap_or(Value::Null);
    let Some(paths) = root.get_mut("paths").and_then(Value::as_mapping_mut) else {
        return;
    };
    for (path, ops) in paths.iter_mut() {
        if !path.as_str().is_some_and(crate::auth::needs_token) {
            continue;
        }
        for (_, op) in ops.as_mapping_mut().into_iter().flatten() {
            if let Some(op) = op.as_mapping_mut() {
                op.insert("security".into(), token_or_none.clone());
            }
        }
    }
}
