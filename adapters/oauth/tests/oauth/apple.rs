//! Apple sign-in against `FakeApple`, on a clock the test controls.

use std::sync::Arc;
use std::time::Duration;

use sybil_domain::Secret;
use sybil_oauth::{AppleSettings, AppleSignIn};
use sybil_ports::outbound::{ExternalIdentity, IdentityError, IdentityProvider};
use sybil_testkit::oauth::{
    AppleIdentity, EmailVerified, FakeApple, TokenVariant, jwt_claims, jwt_header,
};

use crate::clock::TestClock;

const REDIRECT: &str = "https://sybil.example/api/oauth/apple/callback";
const DAY: i64 = 24 * 60 * 60;

struct Setup {
    fake: FakeApple,
    clock: Arc<TestClock>,
    apple: AppleSignIn,
}

fn settings(fake: &FakeApple) -> AppleSettings {
    AppleSettings {
        client_id: fake.client_id(),
        team_id: fake.team_id(),
        key_id: fake.key_id(),
        redirect_uri: REDIRECT.into(),
        private_key_pem: Secret::new(fake.private_key_pem()),
        base_url: format!("{}/", fake.base_url()),
        timeout: Duration::from_secs(5),
    }
}

/// The fake and the adapter on one clock.
async fn setup() -> Setup {
    let fake = FakeApple::start().await;
    let clock = Arc::new(TestClock::starting_now());
    fake.set_now(clock.secs());
    let apple = AppleSignIn::new(settings(&fake), clock.clone()).unwrap();
    Setup { fake, clock, apple }
}

impl Setup {
    /// Moves both clocks.
    fn advance_secs(&self, secs: i64) {
        self.clock.advance_secs(secs);
        self.fake.set_now(self.clock.secs());
    }

    async fn sign_in(
        &self,
        code: &str,
        identity: AppleIdentity,
    ) -> Result<ExternalIdentity, IdentityError> {
        self.fake.add_code(code, identity);
        self.apple.identify(code, None).await
    }
}

fn ann() -> AppleIdentity {
    AppleIdentity::new("001234.abcdef.0999", "ann@example.com")
}

fn invalid_reason(result: Result<ExternalIdentity, IdentityError>) -> String {
    match result {
        Err(IdentityError::InvalidIdToken(reason)) => reason,
        other => panic!("expected InvalidIdToken, got {other:?}"),
    }
}

#[tokio::test]
async fn authorize_url_is_exact_and_encoded() {
    let s = setup().await;
    assert_eq!(
        s.apple.authorize_url("abc_-123"),
        format!(
            "{}/auth/authorize?client_id=com.example.sybil.web\
             &redirect_uri=https%3A%2F%2Fsybil.example%2Fapi%2Foauth%2Fapple%2Fcallback\
             &response_type=code&response_mode=form_post&scope=name%20email&state=abc_-123",
            s.fake.base_url()
        )
    );
}

#[tokio::test]
async fn a_code_becomes_the_identity_with_the_name_from_user() {
    let s = setup().await;
    s.fake.add_code("code-1", ann());
    let user = r#"{"name":{"firstName":"Ann","lastName":"Lee"},"email":"ann@example.com"}"#;
    let identity = s.apple.identify("code-1", Some(user)).await.unwrap();
    assert_eq!(
        identity,
        ExternalIdentity {
            subject: "001234.abcdef.0999".into(),
            login: None,
            verified_email: Some("ann@example.com".into()),
            display_name: Some("Ann Lee".into()),
        }
    );
    assert_eq!(s.fake.client_secret_rejections(), Vec::<String>::new());

    let token = &s.fake.token_requests()[0];
    assert_eq!(token.field("client_id"), Some(s.fake.client_id().as_str()));
    assert_eq!(token.field("code"), Some("code-1"));
    assert_eq!(token.field("grant_type"), Some("authorization_code"));
    assert_eq!(token.field("redirect_uri"), Some(REDIRECT));
    let secret = token.field("client_secret").unwrap();
    let header = jwt_header(secret).unwrap();
    assert_eq!(header["alg"], "ES256");
    assert_eq!(header["kid"], s.fake.key_id());
    let claims = jwt_claims(secret).unwrap();
    assert_eq!(claims["iss"], s.fake.team_id());
    assert_eq!(claims["sub"], s.fake.client_id());
    assert_eq!(claims["aud"], s.fake.base_url());
    assert_eq!(claims["iat"], s.clock.secs());
    assert_eq!(claims["exp"], s.clock.secs() + 300);
}

#[tokio::test]
async fn a_client_secret_apple_refuses_is_a_provider_error() {
    let fake = FakeApple::start().await;
    let clock = Arc::new(TestClock::starting_now());
    fake.set_now(clock.secs());
    let mut wrong = settings(&fake);
    wrong.key_id = "OTHERKEY99".into();
    let apple = AppleSignIn::new(wrong, clock).unwrap();
    fake.add_code("code-k", ann());
    match apple.identify("code-k", None).await {
        Err(IdentityError::Provider(text)) => {
            assert!(text.starts_with("apple token: HTTP 400"), "{text}");
            assert!(text.contains("invalid_client"), "{text}");
            assert!(!text.contains("code-k"), "{text}");
        }
        other => panic!("expected Provider, got {other:?}"),
    }
    let why = fake.client_secret_rejections();
    assert_eq!(why.len(), 1);
    assert!(why[0].contains("kid"), "{why:?}");
}

#[tokio::test]
async fn the_email_counts_only_when_apple_says_it_is_verified() {
    let s = setup().await;
    let cases = [
        (EmailVerified::Bool(true), true),
        (EmailVerified::Str("true".into()), true),
        (EmailVerified::Bool(false), false),
        (EmailVerified::Str("false".into()), false),
        (EmailVerified::Absent, false),
    ];
    for (i, (claim, verified)) in cases.into_iter().enumerate() {
        let identity = s
            .sign_in(&format!("c{i}"), ann().with_email_verified(claim.clone()))
            .await
            .unwrap();
        let want = verified.then(|| "ann@example.com".to_string());
        assert_eq!(identity.verified_email, want, "{claim:?}");
    }
}

#[tokio::test]
async fn expiry_is_judged_by_the_clock_with_a_minute_of_leeway() {
    let s = setup().await;
    let exp = s.clock.secs();
    let token = || ann().with_token(TokenVariant::ExpiresAt(exp));
    s.advance_secs(59);
    s.sign_in("within", token()).await.unwrap();
    s.advance_secs(2);
    let reason = invalid_reason(s.sign_in("past", token()).await);
    assert!(reason.contains("expired"), "{reason}");
    let reason = invalid_reason(
        s.sign_in("long-past", ann().with_token(TokenVariant::Expired))
            .await,
    );
    assert!(reason.contains("expired"), "{reason}");
    let reason = invalid_reason(
        s.sign_in("no-exp", ann().with_token(TokenVariant::WithoutExp))
            .await,
    );
    assert!(reason.contains("exp"), "{reason}");
}

#[tokio::test]
async fn a_token_for_someone_else_or_from_someone_else_is_invalid() {
    let s = setup().await;
    let reason = invalid_reason(
        s.sign_in("a", ann().with_token(TokenVariant::WrongAudience))
            .await,
    );
    assert!(reason.to_lowercase().contains("audience"), "{reason}");
    let reason = invalid_reason(
        s.sign_in("i", ann().with_token(TokenVariant::WrongIssuer))
            .await,
    );
    assert!(reason.to_lowercase().contains("issuer"), "{reason}");
}

#[tokio::test]
async fn a_wrongly_signed_token_is_invalid_after_one_refetch_at_most() {
    let s = setup().await;
    s.sign_in("ok", ann()).await.unwrap();
    assert_eq!(s.fake.key_fetches(), 1);

    let reason = invalid_reason(
        s.sign_in("unknown", ann().with_token(TokenVariant::UnknownKid))
            .await,
    );
    assert!(reason.contains("kid"), "{reason}");
    assert_eq!(
        s.fake.key_fetches(),
        2,
        "an unknown kid fetches the keys once more"
    );

    let reason = invalid_reason(
        s.sign_in("forged", ann().with_token(TokenVariant::WronglySigned))
            .await,
    );
    assert!(reason.to_lowercase().contains("signature"), "{reason}");
    assert_eq!(s.fake.key_fetches(), 2, "a known kid does not refetch");
}

#[tokio::test]
async fn the_keys_are_cached_for_a_day_of_the_clock() {
    let s = setup().await;
    s.sign_in("1", ann()).await.unwrap();
    s.sign_in("2", ann()).await.unwrap();
    assert_eq!(s.fake.key_fetches(), 1);
    s.advance_secs(DAY - 1);
    s.sign_in("3", ann()).await.unwrap();
    assert_eq!(s.fake.key_fetches(), 1);
    s.advance_secs(1);
    s.sign_in("4", ann()).await.unwrap();
    assert_eq!(s.fake.key_fetches(), 2);
}

#[tokio::test]
async fn a_rotated_key_is_picked_up_by_the_one_refetch() {
    let s = setup().await;
    s.sign_in("before", ann()).await.unwrap();
    let kid = s.fake.rotate_keys();
    assert_eq!(s.fake.signing_kid(), kid);
    s.sign_in("after", ann()).await.unwrap();
    s.sign_in("again", ann()).await.unwrap();
    assert_eq!(s.fake.key_fetches(), 2);
}

#[tokio::test]
async fn an_unknown_or_used_code_is_rejected() {
    let s = setup().await;
    s.sign_in("once", ann()).await.unwrap();
    for code in ["once", "never-issued"] {
        assert_eq!(
            s.apple.identify(code, None).await,
            Err(IdentityError::RejectedCode {
                provider_error: Some("invalid_grant".into())
            })
        );
    }
}

#[tokio::test]
async fn failures_of_apple_are_provider_errors() {
    let s = setup().await;
    s.fake.fail_next(500);
    s.fake.add_code("c", ann());
    match s.apple.identify("c", None).await {
        Err(IdentityError::Provider(text)) => {
            assert!(text.starts_with("apple token: HTTP 500"), "{text}")
        }
        other => panic!("expected Provider, got {other:?}"),
    }
    s.fake.fail_next_at("/auth/keys", 503);
    match s.sign_in("k", ann()).await {
        Err(IdentityError::Provider(text)) => {
            assert!(text.starts_with("apple keys: HTTP 503"), "{text}")
        }
        other => panic!("expected Provider, got {other:?}"),
    }
}

#[tokio::test]
async fn a_pem_that_is_not_a_p256_key_is_refused_without_quoting_it() {
    let fake = FakeApple::start().await;
    let not_keys = [
        "not a key at all, secret-text-123".to_string(),
        "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LXRleHQtMTIz\n-----END PRIVATE KEY-----\n"
            .to_string(),
    ];
    for pem in not_keys {
        let mut s = settings(&fake);
        s.private_key_pem = Secret::new(pem.clone());
        let err = AppleSignIn::new(s, Arc::new(TestClock::starting_now())).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("EC P-256"), "{text}");
        assert!(
            !text.contains("secret-text") && !text.contains("c2VjcmV0"),
            "{text}"
        );
        assert!(!format!("{err:?}").contains("secret-text"));
    }
    let settings = settings(&fake);
    assert!(!format!("{settings:?}").contains("PRIVATE KEY"));
    let apple = AppleSignIn::new(settings, Arc::new(TestClock::starting_now())).unwrap();
    assert!(!format!("{apple:?}").contains("PRIVATE KEY"));
}
