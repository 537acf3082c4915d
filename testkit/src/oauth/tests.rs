//! The OAuth fakes speak their providers' wire formats, checked with a plain HTTP client.

use serde_json::Value;

use super::*;

async fn post_form(url: &str, accept: &str, form: &[(&str, &str)]) -> (u16, String) {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let r = reqwest::Client::new()
        .post(url)
        .header("accept", accept)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn get(url: &str, auth: Option<&str>) -> (u16, Value) {
    let mut request = reqwest::Client::new().get(url).header("user-agent", "t");
    if let Some(token) = auth {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let r = request.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn github_codes_are_single_use_and_tokens_open_the_api() {
    let gh = FakeGithub::start().await;
    gh.add_user(
        "c1",
        GithubUser {
            id: 42,
            login: "octo".into(),
            name: None,
            emails: vec![("o@example.com".into(), true, true)],
        },
    );
    let url = format!("{}/login/oauth/access_token", gh.base_url());
    let form = [
        ("client_id", gh.client_id()),
        ("client_secret", gh.client_secret()),
        ("code", "c1".into()),
        ("redirect_uri", "http://x/cb".into()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body) = post_form(&url, "application/json", &form).await;
    assert_eq!(status, 200);
    let token: Value = serde_json::from_str(&body).unwrap();
    let token = token["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        get(&format!("{}/user", gh.base_url()), Some(&token))
            .await
            .1["id"],
        42
    );
    let (status, _) = get(&format!("{}/user/emails", gh.base_url()), Some("nope")).await;
    assert_eq!(status, 401);
    // Used once: now a bad code, and without Accept JSON the answer is a form.
    let (status, body) = post_form(&url, "*/*", &form).await;
    assert_eq!(status, 200);
    assert!(body.starts_with("error=bad_verification_code&"), "{body}");
    assert_eq!(gh.token_requests()[0].field("code"), Some("c1"));
}

#[tokio::test]
async fn apple_publishes_rsa_keys_and_refuses_a_forged_secret() {
    let apple = FakeApple::start().await;
    let (status, keys) = get(&format!("{}/auth/keys", apple.base_url()), None).await;
    assert_eq!(status, 200);
    let key = &keys["keys"][0];
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["alg"], "RS256");
    assert_eq!(key["use"], "sig");
    assert_eq!(key["kid"], apple.signing_kid());
    assert_eq!(key["e"], "AQAB");
    assert_eq!(key["n"].as_str().unwrap().len(), 342);
    assert_eq!(apple.key_fetches(), 1);

    let url = format!("{}/auth/token", apple.base_url());
    let client_id = apple.client_id();
    let (status, body) = post_form(
        &url,
        "application/json",
        &[
            ("client_id", &client_id),
            ("client_secret", "a.b.c"),
            ("code", "x"),
            ("grant_type", "authorization_code"),
            ("redirect_uri", "http://x/cb"),
        ],
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (400, r#"{"error":"invalid_client"}"#)
    );
    assert_eq!(apple.client_secret_rejections().len(), 1);
    assert!(
        apple
            .private_key_pem()
            .starts_with("-----BEGIN PRIVATE KEY-----\n")
    );
}
