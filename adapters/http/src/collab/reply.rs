//! Answers that set cookies: any documented answer, plus `Set-Cookie`
//! headers (several, so not a single documented header).

use poem::http::{HeaderValue, header};
use poem::{IntoResponse, Response};
use poem_openapi::ApiResponse;
use poem_openapi::registry::{MetaResponses, Registry};

/// Says that the cookies are a rotated session's (§3.3).
const SESSION_ROTATED: &str = "x-session-rotated";

pub struct WithCookies<T> {
    inner: T,
    cookies: Vec<String>,
    /// Adds `X-Session-Rotated: 1` (the cookies are a rotated session's).
    rotated: bool,
}

impl<T> WithCookies<T> {
    pub fn new(inner: T, cookies: impl IntoIterator<Item = String>) -> WithCookies<T> {
        WithCookies {
            inner,
            cookies: cookies.into_iter().collect(),
            rotated: false,
        }
    }

    pub fn rotated(mut self) -> WithCookies<T> {
        self.rotated = true;
        self
    }
}

impl<T: IntoResponse> IntoResponse for WithCookies<T> {
    fn into_response(self) -> Response {
        let mut resp = self.inner.into_response();
        for cookie in self.cookies {
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                resp.headers_mut().append(header::SET_COOKIE, value);
            }
        }
        if self.rotated {
            resp.headers_mut()
                .insert(SESSION_ROTATED, HeaderValue::from_static("1"));
        }
        resp
    }
}

impl<T: ApiResponse> ApiResponse for WithCookies<T> {
    fn meta() -> MetaResponses {
        T::meta()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

/// `200` with no body.
#[derive(ApiResponse)]
pub enum Empty {
    #[oai(status = 200)]
    Ok,
}

/// `303` to where a finished browser sign-in goes.
#[derive(ApiResponse)]
pub enum SeeOther {
    #[oai(status = 303)]
    To(#[oai(header = "Location")] String),
}
