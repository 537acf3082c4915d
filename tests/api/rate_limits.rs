//! `RATE_LIMIT_PER_MINUTE`: one bucket per client across the model routes,
//! keyed by the verified token or else the address.

use serde_json::{Value, json};

use crate::helpers::{new_chat, spawn_app_with, user};

#[tokio::test]
async fn the_model_routes_share_a_per_client_bucket() {
    let fakes = crate::helpers::Fakes::start().await;
    let mut env = fakes.env();
    env.push(("RATE_LIMIT_PER_MINUTE".into(), "2".into()));
    let vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = spawn_app_with(&vars).await;
    let body = json!({ "provider": "openai", "model": "gpt-4.1-mini", "messages": [user("hi")] });

    assert_eq!(app.post_json("/v1/chat-completions", &body).await.0, 200);
    // A 4xx still spends a token: the bucket counts requests.
    let chat = new_chat(&app).await;
    let (status, _) = app
        .post_json(
            "/v1/chats/title/suggest",
            &json!({ "chatId": chat, "content": "" }),
        )
        .await;
    assert_eq!(status, 400);

    let resp = app
        .client
        .post(app.url("/v1/chat-completions"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&retry), "{retry}");
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!({ "message": "rate limit exceeded" })
    );

    // The OpenAI surface shares the bucket and answers in its envelope.
    let resp = app
        .client
        .post(app.url("/openai/v1/chat/completions"))
        .json(&json!({ "model": "openai/gpt-4.1-mini", "messages": [user("hi")] }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    assert!(resp.headers().contains_key("retry-after"));
    let error = resp.json::<Value>().await.unwrap();
    assert_eq!(error["error"]["message"], "rate limit exceeded");
    assert_eq!(error["error"]["code"], "rate_limit_exceeded");

    // Other routes are not limited.
    assert_eq!(app.get_json("/v1/chats").await.0, 200);
}

#[tokio::test]
async fn made_up_bearer_tokens_share_the_address_s_bucket() {
    let fakes = crate::helpers::Fakes::start().await;
    let mut env = fakes.env();
    env.push(("RATE_LIMIT_PER_MINUTE".into(), "3".into()));
    let vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    // Open mode: no ADMIN_TOKEN, so no token is ever verified.
    let app = spawn_app_with(&vars).await;
    let body = json!({ "provider": "openai", "model": "gpt-4.1-mini", "messages": [user("hi")] });
    let mut statuses = Vec::new();
    for i in 0..8 {
        let resp = app
            .client
            .post(app.url("/v1/chat-completions"))
            .bearer_auth(format!("made-up-{i}"))
            .json(&body)
            .send()
            .await
            .unwrap();
        statuses.push(resp.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429, 429, 429, 429]);
}

#[tokio::test]
async fn the_verified_token_keys_its_own_bucket() {
    let fakes = crate::helpers::Fakes::start().await;
    let mut env = fakes.env();
    env.push(("RATE_LIMIT_PER_MINUTE".into(), "1".into()));
    env.push(("ADMIN_TOKEN".into(), "s3cret".into()));
    let vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = spawn_app_with(&vars).await;
    let body = json!({ "provider": "openai", "model": "gpt-4.1-mini", "messages": [user("hi")] });
    let send = |token: &'static str| {
        app.client
            .post(app.url("/v1/chat-completions"))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    assert_eq!(send("s3cret").await.unwrap().status(), 200);
    assert_eq!(send("s3cret").await.unwrap().status(), 429);
    // A wrong token is refused before the limit and spends nothing.
    assert_eq!(send("wrong").await.unwrap().status(), 401);
}
