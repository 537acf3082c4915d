//! `/api/oauth/{provider}…` (§4.3): start, the browser callbacks (GET, and
//! Apple's form POST) that end in a 303, and the manual exchange.

use std::sync::Arc;

use poem::Request;
use poem::http::header;
use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Form, Json};
use sybil_domain::account::OAuthProvider;
use sybil_ports::inbound::{AccountUseCases, OAuthReturn};

use super::CollabTags;
use super::accounts_api::login_body;
use super::cookies::{self, CookiePolicy};
use super::dto::{AppleCallbackForm, LoginResponse, ManualOAuthRequest, OAuthInitResponse};
use super::problem::Problem;
use super::reply::{SeeOther, WithCookies};
use super::request_body::ApiJson;

pub struct OAuthApi {
    pub accounts: Arc<dyn AccountUseCases>,
    pub cookies: CookiePolicy,
    /// `OAUTH_SUCCESS_URL`.
    pub success_url: String,
}

fn provider(name: &str) -> Result<OAuthProvider, Problem> {
    OAuthProvider::parse(name).ok_or_else(|| Problem::not_found("unknown sign-in provider"))
}

impl OAuthApi {
    /// A browser's return: success and failure both clear the state cookie.
    async fn browser_return(
        &self,
        provider: OAuthProvider,
        req: &Request,
        mut back: OAuthReturn,
    ) -> Result<WithCookies<SeeOther>, Problem> {
        self.accounts.oauth_configured(provider)?;
        let apple = provider == OAuthProvider::Apple;
        let clear = self.cookies.clear_state(apple);
        back.browser = true;
        back.state_cookie = cookies::read(req, cookies::OAUTH_STATE);
        match self.accounts.oauth_finish(provider, back).await {
            Ok(login) => {
                let mut set = self.cookies.session(&login.issued).to_vec();
                set.push(clear);
                Ok(WithCookies::new(
                    SeeOther::To(self.success_url.clone()),
                    set,
                ))
            }
            Err(e) => Err(Problem::from(e).header(header::SET_COOKIE, &clear)),
        }
    }
}

#[OpenApi(tag = "CollabTags::OAuth")]
impl OAuthApi {
    /// Start a sign-in
    ///
    /// `provider` is `github` or `apple`. Answers the URL to send the
    /// browser to and sets the `OAUTH_STATE` cookie that binds the
    /// single-use state (10 minutes) to this browser.
    #[oai(path = "/api/oauth/:provider", method = "get")]
    async fn start(
        &self,
        #[oai(name = "provider")] name: Path<String>,
    ) -> Result<WithCookies<Json<OAuthInitResponse>>, Problem> {
        let provider = provider(&name)?;
        let start = self.accounts.oauth_start(provider).await?;
        let cookie = self
            .cookies
            .state(&start.state, provider == OAuthProvider::Apple);
        Ok(WithCookies::new(
            Json(OAuthInitResponse {
                auth_url: start.auth_url,
            }),
            [cookie],
        ))
    }

    /// The provider's redirect back
    ///
    /// Checks and consumes the state, exchanges the code, finds, links or
    /// makes the account, opens a session and redirects (303) to
    /// `OAUTH_SUCCESS_URL`.
    #[oai(path = "/api/oauth/:provider/callback", method = "get")]
    async fn callback(
        &self,
        req: &Request,
        #[oai(name = "provider")] name: Path<String>,
        code: Query<Option<String>>,
        state: Query<Option<String>>,
        error: Query<Option<String>>,
    ) -> Result<WithCookies<SeeOther>, Problem> {
        let provider = provider(&name)?;
        let back = OAuthReturn {
            code: code.0,
            state: state.0,
            error: error.0,
            ..OAuthReturn::default()
        };
        self.browser_return(provider, req, back).await
    }

    /// Apple's form POST back
    ///
    /// Sign in with Apple returns by a cross-site form POST
    /// (`response_mode=form_post`); otherwise as the GET callback.
    #[oai(path = "/api/oauth/:provider/callback", method = "post")]
    async fn form_callback(
        &self,
        req: &Request,
        #[oai(name = "provider")] name: Path<String>,
        form: Form<AppleCallbackForm>,
    ) -> Result<WithCookies<SeeOther>, Problem> {
        let provider = provider(&name)?;
        if provider != OAuthProvider::Apple {
            return Err(Problem::not_found("only Apple returns by form POST"));
        }
        let AppleCallbackForm {
            code,
            state,
            user,
            error,
        } = form.0;
        let back = OAuthReturn {
            code,
            state,
            error,
            user,
            ..OAuthReturn::default()
        };
        self.browser_return(provider, req, back).await
    }

    /// Exchange a code without a browser
    ///
    /// For apps that received the code themselves: a given `state` must be a
    /// live state of this provider; without one none is checked.
    #[oai(path = "/api/oauth/:provider/manual", method = "post")]
    async fn manual(
        &self,
        #[oai(name = "provider")] name: Path<String>,
        body: ApiJson<ManualOAuthRequest>,
    ) -> Result<WithCookies<Json<LoginResponse>>, Problem> {
        let provider = provider(&name)?;
        self.accounts.oauth_configured(provider)?;
        let ManualOAuthRequest {
            code,
            auth_code,
            state,
        } = body.0;
        let Some(code) = code.or(auth_code) else {
            return Err(Problem::invalid_request(
                "code",
                "missing",
                "code is required",
            ));
        };
        let back = OAuthReturn {
            code: Some(code),
            state,
            ..OAuthReturn::default()
        };
        let login = self.accounts.oauth_finish(provider, back).await?;
        Ok(WithCookies::new(
            Json(login_body(&login)),
            self.cookies.session(&login.issued),
        ))
    }
}
