//! What each `/api` route needs before its handler runs (§1.4 steps 1–4):
//! the caller it accepts, whether cookie requests prove CSRF, and whether it
//! is the login route (throttled per address before its body is read).

use poem::http::Method;
use sybil_ports::inbound::RouteAccess;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiRoute {
    pub method: Method,
    /// Segments; `{name}` matches any one.
    pub pattern: &'static str,
    pub access: RouteAccess,
    /// CSRF checked on cookie requests (§3.4).
    pub csrf: bool,
}

const fn route(method: Method, pattern: &'static str, access: RouteAccess, csrf: bool) -> ApiRoute {
    ApiRoute {
        method,
        pattern,
        access,
        csrf,
    }
}

use RouteAccess::{Admin, Anonymous, Session, User};

pub const LOGIN: &str = "/api/auth/login";
pub const LOGOUT: &str = "/api/auth/logout";
pub const REFRESH: &str = "/api/auth/refresh";

/// Every `/api` route. The spec's security requirements come from here too.
pub const ROUTES: &[ApiRoute] = &[
    route(Method::GET, "/api/setup", Anonymous, false),
    route(Method::POST, "/api/setup", Anonymous, false),
    route(Method::POST, LOGIN, Anonymous, false),
    route(Method::POST, LOGOUT, Session, true),
    route(Method::POST, REFRESH, Session, false),
    route(Method::GET, "/api/auth/me", Session, false),
    route(Method::GET, "/api/oauth/{provider}", Anonymous, false),
    route(
        Method::GET,
        "/api/oauth/{provider}/callback",
        Anonymous,
        false,
    ),
    route(
        Method::POST,
        "/api/oauth/{provider}/callback",
        Anonymous,
        false,
    ),
    route(
        Method::POST,
        "/api/oauth/{provider}/manual",
        Anonymous,
        false,
    ),
    route(Method::POST, "/api/admin/users", Admin, true),
    route(Method::GET, "/api/admin/users", Admin, false),
    route(Method::PATCH, "/api/admin/users/{user_id}", Admin, true),
    route(Method::GET, "/api/admin/limits/profiles", Admin, false),
    route(Method::POST, "/api/admin/limits/profiles", Admin, true),
    route(Method::PUT, "/api/admin/limits/profiles/{id}", Admin, true),
    route(
        Method::DELETE,
        "/api/admin/limits/profiles/{id}",
        Admin,
        true,
    ),
    route(Method::GET, "/api/admin/limits/assignments", Admin, false),
    route(Method::POST, "/api/admin/limits/assignments", Admin, true),
    route(
        Method::DELETE,
        "/api/admin/limits/assignments/{id}",
        Admin,
        true,
    ),
    route(Method::GET, "/api/conversations", User, false),
    route(Method::POST, "/api/conversations", User, true),
    route(
        Method::GET,
        "/api/conversations/{conversation_id}",
        User,
        false,
    ),
    route(
        Method::POST,
        "/api/conversations/{conversation_id}/participants",
        User,
        true,
    ),
    route(
        Method::DELETE,
        "/api/conversations/{conversation_id}/participants/{user_id}",
        User,
        true,
    ),
    route(
        Method::POST,
        "/api/conversations/{conversation_id}/invites",
        User,
        true,
    ),
    route(Method::POST, "/api/invites/accept", User, true),
    route(Method::POST, "/api/invites/{token}/revoke", User, true),
    route(
        Method::GET,
        "/api/conversations/{conversation_id}/threads",
        User,
        false,
    ),
    route(
        Method::GET,
        "/api/conversations/{conversation_id}/unread",
        User,
        false,
    ),
    route(Method::POST, "/api/threads/{root_id}/read", User, true),
    route(Method::GET, "/api/threads/{root_id}/tree", User, false),
    route(
        Method::POST,
        "/api/threads/{conversation_id}/root",
        User,
        true,
    ),
    route(Method::POST, "/api/messages/{parent_id}/reply", User, true),
    route(
        Method::GET,
        "/api/messages/{message_id}/chunks",
        User,
        false,
    ),
    route(Method::POST, "/api/messages/{message_id}/edit", User, true),
    route(
        Method::POST,
        "/api/messages/{message_id}/delete",
        User,
        true,
    ),
    route(
        Method::POST,
        "/api/messages/{message_id}/restore",
        User,
        true,
    ),
    route(
        Method::POST,
        "/api/messages/{message_id}/cancel",
        User,
        true,
    ),
    route(Method::POST, "/api/typing", User, true),
    route(Method::POST, "/api/presence/heartbeat", User, true),
    route(
        Method::GET,
        "/api/stream/conversations/{conversation_id}",
        User,
        false,
    ),
];

fn matches(pattern: &str, path: &str) -> bool {
    let mut want = pattern.split('/');
    let mut have = path.trim_end_matches('/').split('/');
    loop {
        match (want.next(), have.next()) {
            (None, None) => return true,
            (Some(w), Some(h)) if w.starts_with('{') || w == h => {}
            _ => return false,
        }
    }
}

/// The route of `method` on `path`, if `/api` has one.
pub fn find(method: &Method, path: &str) -> Option<&'static ApiRoute> {
    ROUTES
        .iter()
        .find(|r| r.method == method && matches(r.pattern, path))
}

/// Whether a due rotation happens before the handler: not on refresh,
/// which rotates itself, nor on logout, which ends the session.
pub fn rotates_when_due(route: Option<&ApiRoute>) -> bool {
    route.is_none_or(|r| r.pattern != LOGOUT && r.pattern != REFRESH)
}

/// Whether a request of this method may change state (CSRF applies).
pub fn changes_state(method: &Method) -> bool {
    matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_match_their_templates_only() {
        let r = find(&Method::PATCH, "/api/admin/users/0190-x").unwrap();
        assert_eq!(r.access, Admin);
        assert!(find(&Method::GET, "/api/admin/users/0190-x").is_none());
        assert_eq!(
            find(&Method::GET, "/api/oauth/github").unwrap().access,
            Anonymous
        );
        assert_eq!(
            find(&Method::GET, "/api/oauth/github/callback")
                .unwrap()
                .pattern,
            "/api/oauth/{provider}/callback"
        );
        assert!(find(&Method::GET, "/api/oauth").is_none());
        assert!(find(&Method::POST, "/api/auth/logout/").unwrap().csrf);
        assert!(find(&Method::GET, "/api/nothing").is_none());
    }

    #[test]
    fn refresh_and_logout_do_not_rotate_before_their_handler() {
        assert!(!rotates_when_due(find(&Method::POST, REFRESH)));
        assert!(!rotates_when_due(find(&Method::POST, LOGOUT)));
        assert!(rotates_when_due(find(&Method::GET, "/api/auth/me")));
    }

    #[test]
    fn only_writes_change_state() {
        assert!(changes_state(&Method::POST));
        assert!(changes_state(&Method::DELETE));
        assert!(!changes_state(&Method::GET));
        assert!(!changes_state(&Method::OPTIONS));
    }
}
