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

const SESSION_SCHEME: &str = "sessionCookie";
const CSRF_SCHEME: &str = "csrfHeader";

/// `/api`'s schemes (§3.1, §3.4): the `SESSION_ID` cookie, with the
/// `X-CSRF-TOKEN` header on the writes that check it, or, on the admin
/// routes, the `ADMIN_TOKEN` bearer; anonymous routes need nothing.
pub(super) fn declare_api_auth(spec: &mut Value) {
    let Some(root) = spec.as_mapping_mut() else {
        return;
    };
    let schemes: Value = serde_yaml::from_str(
        "sessionCookie:\n  type: apiKey\n  in: cookie\n  name: SESSION_ID\n  description: The session a sign-in sets (HttpOnly); rotated as the Set-Cookie of any answer says, with X-Session-Rotated.\ncsrfHeader:\n  type: apiKey\n  in: header\n  name: X-CSRF-TOKEN\n  description: The session's CSRF token (the CSRF-TOKEN cookie, or LoginResponse.csrf_token), on POST, PUT, PATCH and DELETE by cookie.\n",
    )
    .unwrap_or(Value::Null);
    if let Some(all) = root
        .get_mut("components")
        .and_then(|c| c.get_mut("securitySchemes"))
        .and_then(Value::as_mapping_mut)
        && let Some(new) = schemes.as_mapping()
    {
        all.extend(new.clone());
    }
    let Some(paths) = root.get_mut("paths").and_then(Value::as_mapping_mut) else {
        return;
    };
    for route in crate::collab::ROUTES {
        let method = route.method.as_str().to_ascii_lowercase();
        let Some(op) = paths
            .get_mut(route.pattern)
            .and_then(|ops| ops.get_mut(method.as_str()))
            .and_then(Value::as_mapping_mut)
        else {
            continue;
        };
        op.insert("security".into(), requirement(route));
    }
}

fn requirement(route: &crate::collab::ApiRoute) -> Value {
    use sybil_ports::inbound::RouteAccess;
    let cookie = if route.csrf {
        format!("{{{SESSION_SCHEME}: [], {CSRF_SCHEME}: []}}")
    } else {
        format!("{{{SESSION_SCHEME}: []}}")
    };
    let yaml = match route.access {
        RouteAccess::Anonymous => "[]".to_string(),
        RouteAccess::Session | RouteAccess::User => format!("[{cookie}]"),
        RouteAccess::Admin => format!("[{cookie}, {{{BEARER_SCHEME}: []}}]"),
    };
    serde_yaml::from_str(&yaml).unwrap_or(Value::Null)
}
