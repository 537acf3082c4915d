//! GitHub sign-in against `FakeGithub`.

use std::time::Duration;

use sybil_domain::Secret;
use sybil_oauth::{GithubSettings, GithubSignIn};
use sybil_ports::outbound::{ExternalIdentity, IdentityError, IdentityProvider};
use sybil_testkit::oauth::{FakeGithub, GithubUser};

const REDIRECT: &str = "https://sybil.example/api/oauth/github/callback";

fn settings(fake: &FakeGithub) -> GithubSettings {
    GithubSettings {
        client_id: fake.client_id(),
        client_secret: Secret::new(fake.client_secret()),
        redirect_uri: REDIRECT.into(),
        // Both forms of a base URL are accepted.
        oauth_base_url: format!("{}/", fake.base_url()),
        api_base_url: fake.base_url(),
        timeout: Duration::from_secs(5),
    }
}

fn octocat(emails: &[(&str, bool, bool)]) -> GithubUser {
    GithubUser {
        id: 583_231,
        login: "octocat".into(),
        name: Some("The Octocat".into()),
        emails: emails
            .iter()
            .map(|(e, p, v)| ((*e).to_owned(), *p, *v))
            .collect(),
    }
}

fn provider_text(err: IdentityError) -> String {
    match err {
        IdentityError::Provider(text) => text,
        other => panic!("expected Provider, got {other:?}"),
    }
}

#[tokio::test]
async fn authorize_url_is_exact_and_encoded() {
    let fake = FakeGithub::start().await;
    let mut s = settings(&fake);
    s.client_id = "Iv1.a b".into();
    let github = GithubSignIn::new(s).unwrap();
    assert_eq!(
        github.authorize_url("st/ate+=="),
        format!(
            "{}/login/oauth/authorize?client_id=Iv1.a%20b\
             &redirect_uri=https%3A%2F%2Fsybil.example%2Fapi%2Foauth%2Fgithub%2Fcallback\
             &scope=read:user%20user:email&state=st%2Fate%2B%3D%3D",
            fake.base_url()
        )
    );
}

#[tokio::test]
async fn a_code_becomes_the_user_with_the_verified_primary_email() {
    let fake = FakeGithub::start().await;
    fake.set_redirect_uri(REDIRECT);
    fake.add_user(
        "code-1",
        octocat(&[
            ("other@example.com", false, true),
            ("unverified@example.com", false, false),
            ("octo@example.com", true, true),
        ]),
    );
    let github = GithubSignIn::new(settings(&fake)).unwrap();
    let identity = github.identify("code-1", Some("ignored")).await.unwrap();
    assert_eq!(
        identity,
        ExternalIdentity {
            subject: "583231".into(),
            login: Some("octocat".into()),
            verified_email: Some("octo@example.com".into()),
            display_name: Some("The Octocat".into()),
        }
    );

    let requests = fake.requests();
    let paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        ["/login/oauth/access_token", "/user", "/user/emails"]
    );
    let token = &requests[0];
    assert_eq!(token.method, "POST");
    assert_eq!(token.header("accept"), Some("application/json"));
    let fields: Vec<(&str, &str)> = token
        .form
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let secret = fake.client_secret();
    let client_id = fake.client_id();
    assert_eq!(
        fields,
        [
            ("client_id", client_id.as_str()),
            ("client_secret", secret.as_str()),
            ("code", "code-1"),
            ("redirect_uri", REDIRECT),
        ]
    );
    for api in &requests[1..] {
        assert_eq!(api.method, "GET");
        assert!(api.bearer().is_some_and(|t| t.starts_with("gho_")));
        assert!(
            api.header("user-agent")
                .is_some_and(|a| a.starts_with("sybil/"))
        );
        assert_eq!(api.header("accept"), Some("application/vnd.github+json"));
    }
}

#[tokio::test]
async fn without_a_verified_primary_email_there_is_none() {
    let fake = FakeGithub::start().await;
    let mut user = octocat(&[
        ("primary@example.com", true, false),
        ("verified@example.com", false, true),
    ]);
    user.name = None;
    fake.add_user("c", user);
    let github = GithubSignIn::new(settings(&fake)).unwrap();
    let identity = github.identify("c", None).await.unwrap();
    assert_eq!(identity.verified_email, None);
    assert_eq!(identity.display_name, None);
    assert_eq!(identity.login.as_deref(), Some("octocat"));
}

#[tokio::test]
async fn an_unknown_or_used_code_is_rejected_with_githubs_error() {
    let fake = FakeGithub::start().await;
    fake.add_user("once", octocat(&[]));
    let github = GithubSignIn::new(settings(&fake)).unwrap();
    github.identify("once", None).await.unwrap();
    for code in ["once", "never-issued"] {
        assert_eq!(
            github.identify(code, None).await,
            Err(IdentityError::RejectedCode {
                provider_error: Some("bad_verification_code".into())
            })
        );
    }
}

#[tokio::test]
async fn a_wrong_client_secret_is_githubs_credentials_error() {
    let fake = FakeGithub::start().await;
    fake.add_user("c", octocat(&[]));
    let mut s = settings(&fake);
    s.client_secret = Secret::new("wrong-secret-zzz");
    let github = GithubSignIn::new(s).unwrap();
    assert_eq!(
        github.identify("c", None).await,
        Err(IdentityError::RejectedCode {
            provider_error: Some("incorrect_client_credentials".into())
        })
    );
}

#[tokio::test]
async fn a_server_error_is_a_provider_error_without_secrets() {
    let fake = FakeGithub::start().await;
    fake.add_user("code-500", octocat(&[]));
    fake.fail_next(500);
    let github = GithubSignIn::new(settings(&fake)).unwrap();
    let text = provider_text(github.identify("code-500", None).await.unwrap_err());
    assert!(text.starts_with("github token: HTTP 500"), "{text}");
    assert!(!text.contains(&fake.client_secret()), "{text}");
    assert!(!text.contains("code-500"), "{text}");

    // A failing API call after a good exchange never shows the token.
    fake.fail_next_at("/user/emails", 502);
    let text = provider_text(github.identify("code-500", None).await.unwrap_err());
    assert!(text.starts_with("github emails: HTTP 502"), "{text}");
    assert!(!text.contains("gho_"), "{text}");
}

#[tokio::test]
async fn an_unreachable_github_is_a_provider_error_without_secrets() {
    let fake = FakeGithub::start().await;
    let mut s = settings(&fake);
    s.oauth_base_url = "http://127.0.0.1:1".into();
    let github = GithubSignIn::new(s).unwrap();
    let text = provider_text(github.identify("code-x", None).await.unwrap_err());
    assert!(text.starts_with("github token: unreachable"), "{text}");
    assert!(!text.contains(&fake.client_secret()), "{text}");
    assert!(!text.contains("code-x"), "{text}");
}

#[tokio::test]
async fn a_silent_github_times_out() {
    // Connections complete in the backlog, but nothing ever answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let fake = FakeGithub::start().await;
    let mut s = settings(&fake);
    s.oauth_base_url = format!("http://{}", silent.local_addr().unwrap());
    s.timeout = Duration::from_millis(300);
    let github = GithubSignIn::new(s).unwrap();
    let text = provider_text(github.identify("c", None).await.unwrap_err());
    assert!(text.starts_with("github token: timed out"), "{text}");
}
