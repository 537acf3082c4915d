//! `/api/setup` and `/api/auth/*` (§4.1, §4.2).

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::payload::Json;
use sybil_ports::inbound::{AccountUseCases, Caller, Login};

use super::CollabTags;
use super::cookies::CookiePolicy;
use super::dto::{
    LoginRequest, LoginResponse, MeResponse, OkResponse, SetupRequest, SetupResponse,
};
use super::params::signed_in;
use super::problem::{Problem, Throttled};
use super::reply::{Empty, WithCookies};
use super::request_body::ApiJson;

pub struct AccountsApi {
    pub accounts: Arc<dyn AccountUseCases>,
    pub cookies: CookiePolicy,
}

pub fn login_body(login: &Login) -> LoginResponse {
    LoginResponse {
        user: (&login.user).into(),
        session: (&login.issued.session).into(),
        csrf_token: login.issued.csrf_token.clone(),
    }
}

#[OpenApi(tag = "CollabTags::Accounts")]
impl AccountsApi {
    /// Whether setup is done
    ///
    /// `is_setup` is true once any account exists.
    #[oai(path = "/api/setup", method = "get")]
    async fn setup_status(&self) -> Result<Json<SetupResponse>, Problem> {
        Ok(Json(SetupResponse {
            is_setup: self.accounts.is_setup().await?,
        }))
    }

    /// Create the first admin
    ///
    /// Once: the first account, with roles `admin` and `member`. Opens no session.
    #[oai(path = "/api/setup", method = "post")]
    async fn setup(&self, body: ApiJson<SetupRequest>) -> Result<Empty, Problem> {
        let SetupRequest {
            username,
            email,
            password,
        } = body.0;
        self.accounts.setup(username, email, password).await?;
        Ok(Empty::Ok)
    }

    /// Sign in
    ///
    /// By email, or by username when `email` holds no `@`. Sets the
    /// `SESSION_ID` and `CSRF-TOKEN` cookies. Throttled per client address
    /// and per account.
    #[oai(path = "/api/auth/login", method = "post")]
    async fn login(
        &self,
        body: ApiJson<LoginRequest>,
    ) -> Result<WithCookies<Json<LoginResponse>>, Throttled> {
        let LoginRequest { email, password } = body.0;
        let login = self.accounts.login(email, password).await?;
        Ok(WithCookies::new(
            Json(login_body(&login)),
            self.cookies.session(&login.issued),
        ))
    }

    /// Sign out
    ///
    /// Revokes the session (and its predecessor still in grace) and clears both cookies.
    #[oai(path = "/api/auth/logout", method = "post")]
    async fn logout(
        &self,
        caller: Data<&Caller>,
    ) -> Result<WithCookies<Json<OkResponse>>, Problem> {
        self.accounts.logout(signed_in(&caller)?).await?;
        Ok(WithCookies::new(
            Json(OkResponse { ok: true }),
            self.cookies.clear_session(),
        ))
    }

    /// Rotate the session
    ///
    /// A new session (id, token, CSRF token) with a fresh idle window, never
    /// past the absolute deadline; the previous token works 10 s more.
    #[oai(path = "/api/auth/refresh", method = "post")]
    async fn refresh(
        &self,
        caller: Data<&Caller>,
    ) -> Result<WithCookies<Json<LoginResponse>>, Problem> {
        let me = signed_in(&caller)?;
        let issued = self.accounts.refresh(me).await?;
        let login = Login {
            user: me.user.clone(),
            issued,
        };
        let cookies = self.cookies.session(&login.issued);
        Ok(WithCookies::new(Json(login_body(&login)), cookies).rotated())
    }

    /// The signed-in user and session
    #[oai(path = "/api/auth/me", method = "get")]
    async fn me(&self, caller: Data<&Caller>) -> Result<Json<MeResponse>, Problem> {
        let me = signed_in(&caller)?;
        Ok(Json(MeResponse {
            user: (&me.user).into(),
            session: (&me.session).into(),
        }))
    }
}
