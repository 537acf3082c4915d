//! The cookies of `/api` (§3.3, §4.3), written by hand so that every
//! attribute is exactly as the contract lists it.

use poem::Request;
use poem::http::header;
use sybil_domain::Timestamp;
use sybil_ports::inbound::IssuedSession;

pub const SESSION_ID: &str = "SESSION_ID";
pub const CSRF_TOKEN: &str = "CSRF-TOKEN";
pub const OAUTH_STATE: &str = "OAUTH_STATE";
const EPOCH: &str = "Thu, 01 Jan 1970 00:00:00 GMT";
/// How long a sign-in state cookie lives (the state's own validity).
const STATE_MAX_AGE: u32 = 600;

fn http_date(at: Timestamp) -> String {
    let secs = u64::try_from(at.millis().max(0) / 1000).unwrap_or(0);
    httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
}

/// `Secure` on every cookie unless `SESSION_COOKIE_SECURE=false`.
#[derive(Debug, Clone, Copy)]
pub struct CookiePolicy {
    pub secure: bool,
}

impl CookiePolicy {
    fn secure(&self) -> &'static str {
        if self.secure { "; Secure" } else { "" }
    }

    /// The two cookies of a session just opened or rotated.
    pub fn session(&self, issued: &IssuedSession) -> [String; 2] {
        let t = issued.session.times;
        let max_age = (t.expires_at.millis() - t.issued_at.millis()).max(0) / 1000;
        let expires = http_date(t.expires_at);
        let secure = self.secure();
        [
            format!(
                "{SESSION_ID}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}; Expires={expires}{secure}",
                issued.token
            ),
            format!(
                "{CSRF_TOKEN}={}; Path=/; SameSite=Strict; Max-Age={max_age}; Expires={expires}{secure}",
                issued.csrf_token
            ),
        ]
    }

    /// Both session cookies emptied.
    pub fn clear_session(&self) -> [String; 2] {
        let secure = self.secure();
        [
            format!(
                "{SESSION_ID}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Expires={EPOCH}{secure}"
            ),
            format!("{CSRF_TOKEN}=; Path=/; SameSite=Strict; Max-Age=0; Expires={EPOCH}{secure}"),
        ]
    }

    /// `SameSite=None` when Apple posts back cross-site (needs `Secure`).
    fn state_same_site(&self, cross_site_post: bool) -> &'static str {
        if cross_site_post && self.secure {
            "None"
        } else {
            "Lax"
        }
    }

    pub fn state(&self, state: &str, cross_site_post: bool) -> String {
        format!(
            "{OAUTH_STATE}={state}; Path=/api/oauth; HttpOnly; SameSite={}; Max-Age={STATE_MAX_AGE}{}",
            self.state_same_site(cross_site_post),
            self.secure()
        )
    }

    pub fn clear_state(&self, cross_site_post: bool) -> String {
        format!(
            "{OAUTH_STATE}=; Path=/api/oauth; HttpOnly; SameSite={}; Max-Age=0; Expires={EPOCH}{}",
            self.state_same_site(cross_site_post),
            self.secure()
        )
    }
}

/// The value of cookie `name` on the request, if sent (the first one).
pub fn read(req: &Request, name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"').to_string())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sybil_domain::account::{Session, SessionTimes};
    use uuid::Uuid;

    fn issued() -> IssuedSession {
        IssuedSession {
            session: Session {
                id: Uuid::nil(),
                user_id: Uuid::nil(),
                times: SessionTimes {
                    issued_at: Timestamp(1_000),
                    expires_at: Timestamp(28_801_999),
                    absolute_expires_at: Timestamp(604_801_000),
                },
                revoked: false,
                grace_until: None,
                predecessor: None,
                successor: None,
            },
            token: "tok".into(),
            csrf_token: "csrf".into(),
        }
    }

    #[test]
    fn session_cookies_have_the_contracts_attributes() {
        let [session, csrf] = CookiePolicy { secure: true }.session(&issued());
        assert_eq!(
            session,
            "SESSION_ID=tok; Path=/; HttpOnly; SameSite=Lax; Max-Age=28800; Expires=Thu, 01 Jan 1970 08:00:01 GMT; Secure"
        );
        assert_eq!(
            csrf,
            "CSRF-TOKEN=csrf; Path=/; SameSite=Strict; Max-Age=28800; Expires=Thu, 01 Jan 1970 08:00:01 GMT; Secure"
        );
        let [plain, _] = CookiePolicy { secure: false }.session(&issued());
        assert!(!plain.contains("Secure"));
    }

    #[test]
    fn clearing_empties_both_with_the_same_attributes() {
        let [session, csrf] = CookiePolicy { secure: false }.clear_session();
        assert_eq!(
            session,
            "SESSION_ID=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
        );
        assert!(csrf.starts_with("CSRF-TOKEN=; Path=/; SameSite=Strict; Max-Age=0"));
    }

    #[test]
    fn apples_state_cookie_crosses_sites_only_when_secure() {
        let secure = CookiePolicy { secure: true };
        assert!(secure.state("s", true).contains("SameSite=None"));
        assert!(secure.state("s", false).contains("SameSite=Lax"));
        assert!(
            CookiePolicy { secure: false }
                .state("s", true)
                .contains("SameSite=Lax")
        );
        assert!(
            secure
                .state("s", false)
                .starts_with("OAUTH_STATE=s; Path=/api/oauth; HttpOnly")
        );
    }

    #[test]
    fn cookies_are_read_by_name() {
        let req = Request::builder()
            .header(header::COOKIE, "a=1; SESSION_ID=xyz; CSRF-TOKEN=c")
            .finish();
        assert_eq!(read(&req, SESSION_ID).as_deref(), Some("xyz"));
        assert_eq!(read(&req, "CSRF-TOKEN").as_deref(), Some("c"));
        assert_eq!(read(&req, "missing"), None);
    }
}
