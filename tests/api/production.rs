//! The production surface end to end: `/readyz` (also with PostgreSQL gone),
//! `/metrics`, `x-request-id` (echoed, made, logged), rate limits, and the
//! OpenAI-compatible `/openai/v1` against the fake upstreams.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sybil_testkit::{FakeKind, Reply};

use crate::helpers::{TestApp, spawn_app, spawn_app_with, spawn_with_fakes, temp_db_path};
use crate::pg_database::PgDatabase;

async fn new_chat(app: &TestApp) -> String {
    let (_, body) = app.post_json("/v1/chats", &json!({})).await;
    body["chat"]["id"].as_str().unwrap().to_string()
}

fn user(text: &str) -> Value {
    json!({ "role": "user", "content": text })
}

pub async fn metrics_text(app: &TestApp) -> String {
    let resp = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    resp.text().await.unwrap()
}

/// The value of the sample of `name` that has every one of `labels`.
pub fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .find(|l| {
            labels
                .iter()
                .all(|(k, v)| l.contains(&format!("{k}=\"{v}\"")))
        })
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

// ---- readiness ------------------------------------------------------------

#[tokio::test]
async fn readyz_is_ok_while_storage_answers() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/readyz").await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({ "ok": true }));
}

#[tokio::test]
async fn readyz_is_503_once_postgresql_is_gone() {
    // Its own database, so that dropping it cannot touch what other tests use.
    let Some(db) = PgDatabase::create("sybil_ready").await else {
        return;
    };
    let app = spawn_app_with(&[("DATABASE_URL", db.url())]).await;
    let (status, body) = app.get_json("/readyz").await;
    assert_eq!((status, body), (200, json!({ "ok": true })));

    db.drop_now().await;
    let started = Instant::now();
    let (status, body) = app.get_json("/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body, json!({ "message": "storage unavailable" }));
    assert!(
        started.elapsed() < Duration::from_secs(7),
        "answered promptly"
    );
    // Liveness does not depend on storage.
    assert_eq!(app.get_json("/health").await.0, 200);
}

// ---- metrics --------------------------------------------------------------

#[tokio::test]
async fn metrics_label_requests_by_route_template_method_and_status() {
    let (app, _fakes) = spawn_with_fakes().await;
    let chat = new_chat(&app).await;
    assert_eq!(app.get_json(&format!("/v1/chats/{chat}")).await.0, 200);
    let unknown = uuid::Uuid::now_v7();
    assert_eq!(app.get_json(&format!("/v1/chats/{unknown}")).await.0, 404);
    assert_eq!(app.get_json("/no/such/path").await.0, 404);
    let (status, _) = app
        .post_json(
            "/v1/chat-completions",
            &json!({ "provider": "openai", "model": "gpt-4.1-mini", "messages": [user("hi")] }),
        )
        .await;
    assert_eq!(status, 200);

    let text = metrics_text(&app).await;
    for (name, kind) in [
        ("sybil_http_requests_total", "counter"),
        ("sybil_http_request_duration_seconds", "histogram"),
        ("sybil_upstream_calls_total", "counter"),
        ("sybil_upstream_call_duration_seconds", "histogram"),
        ("sybil_open_streams", "gauge"),
    ] {
        assert!(
            text.contains(&format!("# HELP {name} ")),
            "HELP {name}\n{text}"
        );
        assert!(
            text.contains(&format!("# TYPE {name} {kind}\n")),
            "TYPE {name}\n{text}"
        );
    }
    let requests = |route, method, status| {
        sample(
            &text,
            "sybil_http_requests_total",
            &[("route", route), ("method", method), ("status", status)],
        )
        .unwrap_or(0.0)
    };
    assert!(requests("/v1/chats/:chatId", "GET", "200") >= 1.0, "{text}");
    assert!(requests("/v1/chats/:chatId", "GET", "404") >= 1.0);
    assert!(requests("/v1/chats", "POST", "201") >= 1.0);
    assert!(requests("unmatched", "GET", "404") >= 1.0);
    assert!(requests("/v1/chat-completions", "POST", "200") >= 1.0);
    assert!(!text.contains(&chat), "raw ids never become labels");
    assert!(
        text.contains("sybil_http_request_duration_seconds_bucket{")
            && text.contains("le=\"0.005\""),
        "latency buckets"
    );
    let upstream = sample(
        &text,
        "sybil_upstream_calls_total",
        &[("provider", "openai"), ("outcome", "ok")],
    );
    assert!(upstream.unwrap_or(0.0) >= 1.0, "{text}");
}

#[tokio::test]
async fn metrics_count_tool_calls_by_tool_and_status() {
    let (app, fakes) = spawn_with_fakes().await;
    // Loopback is refused by fetch_url's private-network guard: a failed call.
    fakes.openai.push(Reply::tool_calls(&[(
        "fetch_url",
        r#"{"url":"http://127.0.0.1:9/"}"#,
    )]));
    fakes.openai.push(Reply::text("Could not read it."));
    let (status, body) = app
        .post_json(
            "/v1/chat-completions",
            &json!({ "provider": "openai", "model": "gpt-4.1-mini", "messages": [user("read it")] }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let text = metrics_text(&app).await;
    assert!(
        text.contains("# TYPE sybil_tool_calls_total counter"),
        "{text}"
    );
    let failed = sample(
        &text,
        "sybil_tool_calls_total",
        &[("tool", "fetch_url"), ("status", "failed")],
    );
    assert!(failed.unwrap_or(0.0) >= 1.0, "{text}");
}

// ---- request ids ----------------------------------------------------------

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let resp = app
        .client
        .get(app.url("/v1/chats"))
        .header("x-request-id", "client-trace-42")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-request-id"], "client-trace-42");

    for (path, sent) in [
        ("/health", None),
        ("/nope", None),
        ("/v1/chats", Some("two words")),
    ] {
        let mut req = app.client.get(app.url(path));
        if let Some(id) = sent {
            req = req.header("x-request-id", id);
        }
        let resp = req.send().await.unwrap();
        let id = resp.headers()["x-request-id"].to_str().unwrap().to_string();
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "{path}: {id}");
    }
}

#[test]
fn the_request_id_appears_in_that_request_s_log_lines() {
    let db = temp_db_path();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sybil"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir(std::env::temp_dir())
        .env(
            "DATABASE_URL",
            format!("sqlite://{}?mode=rwc", db.display()),
        )
        .env("PORT", "0")
        .env("LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let addr = loop {
        let mut line = String::new();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "exited early");
        let json: Value = serde_json::from_str(&line).unwrap();
        if json["message"] == "sybil listening" {
            break json["addr"].as_str().unwrap().to_string();
        }
    };
    let status = raw_http::get_with_id(&format!("http://{addr}/v1/chats/nope"), "trace-in-logs-7");
    assert_eq!(status, 404);
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    let finished: Vec<&str> = rest
        .lines()
        .filter(|l| l.contains("request finished"))
        .collect();
    assert!(
        finished
            .iter()
            .any(|l| l.contains("\"request_id\":\"trace-in-logs-7\"")),
        "{rest}"
    );
    let _ = std::fs::remove_file(&db);
}

/// A minimal blocking client, so the log test needs no runtime of its own.
mod raw_http {
    use std::io::{Read, Write};
    use std::net::TcpStream;

    pub fn get_with_id(url: &str, id: &str) -> u16 {
        let rest = url.strip_prefix("http://").unwrap();
        let (host, path) = rest.split_once('/').unwrap();
        let mut stream = TcpStream::connect(host).unwrap();
        write!(
            stream,
            "GET /{path} HTTP/1.1\r\nHost: {host}\r\nx-request-id: {id}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer.split(' ').nth(1).unwrap().parse().unwrap()
    }
}

// ---- rate limits ----------------------------------------------------------

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

// ---- the OpenAI-compatible surface ----------------------------------------

#[tokio::test]
async fn openai_completions_reach_each_provider_in_openai_s_shape() {
    let (app, fakes) = spawn_with_fakes().await;
    fakes.anthropic.push(Reply::text("Bonjour."));
    let (status, body) = app
        .post_json(
            "/openai/v1/chat/completions",
            &json!({ "model": "anthropic/claude-sonnet-4-20250514",
                     "messages": [{ "role": "developer", "content": "Answer in French." },
                                  { "role": "user", "content": [{ "type": "text", "text": "Hello" }] }],
                     "temperature": 0.3, "max_tokens": 64, "n": 1, "user": "u-1", "seed": 7 }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert_eq!(body["object"], "chat.completion");
    assert!(body["created"].as_i64().unwrap() > 1_700_000_000);
    assert_eq!(body["model"], "anthropic/claude-sonnet-4-20250514");
    assert_eq!(
        body["choices"],
        json!([{ "index": 0, "message": { "role": "assistant", "content": "Bonjour." },
                 "finish_reason": "stop" }])
    );
    let usage = &body["usage"];
    assert_eq!(
        usage["total_tokens"].as_u64().unwrap(),
        usage["prompt_tokens"].as_u64().unwrap() + usage["completion_tokens"].as_u64().unwrap()
    );
    let sent = &fakes.anthropic.generation_requests()[0].body;
    assert_eq!(sent["model"], "claude-sonnet-4-20250514");
    assert_eq!(sent["max_tokens"], 64);
    assert!(
        sent["system"].to_string().contains("Answer in French."),
        "{sent}"
    );

    for (model, fake) in [
        ("openai/gpt-4.1-mini", &fakes.openai),
        ("xai/grok-4-fast", &fakes.xai),
    ] {
        let (status, body) = app
            .post_json(
                "/openai/v1/chat/completions",
                &json!({ "model": model, "messages": [user("hi")] }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["model"], model);
        let upstream_model = model.split_once('/').unwrap().1;
        assert_eq!(fake.generation_requests()[0].body["model"], upstream_model);
    }
}

#[tokio::test]
async fn openai_streams_are_chunks_ending_with_done() {
    let (app, fakes) = spawn_with_fakes().await;
    fakes.xai.push(Reply::text("one two three"));
    let resp = app
        .client
        .post(app.url("/openai/v1/chat/completions"))
        .json(
            &json!({ "model": "xai/grok-4-fast", "messages": [user("count")], "stream": true,
                       "stream_options": { "include_usage": true } }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let text = resp.text().await.unwrap();
    let events = sybil_testkit::sse::parse(&text);
    assert!(events.iter().all(|e| e.event.is_none()), "{text}");
    assert_eq!(events.last().unwrap().data, "[DONE]");
    let chunks: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(sybil_testkit::sse::Event::json)
        .collect();
    let id = chunks[0]["id"].clone();
    for c in &chunks {
        assert_eq!(c["object"], "chat.completion.chunk");
        assert_eq!(c["id"], id, "one id per completion");
        assert_eq!(c["model"], "xai/grok-4-fast");
    }
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let content: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(content, "one two three");
    let finish = &chunks[chunks.len() - 2];
    assert_eq!(finish["choices"][0]["finish_reason"], "stop");
    let usage = chunks.last().unwrap();
    assert_eq!(usage["choices"], json!([]));
    assert!(usage["usage"]["total_tokens"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn openai_errors_use_openai_s_envelope() {
    let (app, fakes) = spawn_with_fakes().await;
    let envelope_of = |body: &Value| {
        let e = &body["error"];
        assert!(e["message"].is_string(), "{body}");
        assert!(e["type"].is_string(), "{body}");
        assert!(
            e.get("param").is_some() && e.get("code").is_some(),
            "{body}"
        );
        e.clone()
    };
    for model in ["gpt-4.1-mini", "mistral/large", "openai/", ""] {
        let (status, body) = app
            .post_json(
                "/openai/v1/chat/completions",
                &json!({ "model": model, "messages": [user("hi")] }),
            )
            .await;
        assert_eq!(status, 400, "{model}: {body}");
        let e = envelope_of(&body);
        assert_eq!(e["type"], "invalid_request_error");
        assert_eq!(e["param"], "model");
    }
    // Body errors found by the shared parser and the use case's own checks.
    let resp = app
        .client
        .post(app.url("/openai/v1/chat/completions"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    envelope_of(&resp.json().await.unwrap());
    let (status, body) = app
        .post_json(
            "/openai/v1/chat/completions",
            &json!({ "model": "openai/gpt-4.1-mini", "messages": [], "temperature": 3 }),
        )
        .await;
    assert_eq!(status, 400);
    envelope_of(&body);
    // A provider failure is a 502 naming the provider.
    fakes
        .openai
        .push(Reply::api_error(FakeKind::OpenAi, 400, "the model refused"));
    let (status, body) = app
        .post_json(
            "/openai/v1/chat/completions",
            &json!({ "model": "openai/gpt-4.1-mini", "messages": [user("hi")] }),
        )
        .await;
    assert_eq!(status, 502, "{body}");
    let e = envelope_of(&body);
    assert_eq!(e["type"], "server_error");
    assert!(e["message"].as_str().unwrap().contains("openai"), "{body}");
    // An unknown path under /openai is a 404 in the envelope too.
    let (status, body) = app.get_json("/openai/v1/nothing").await;
    assert_eq!(status, 404);
    envelope_of(&body);
}

#[tokio::test]
async fn an_unconfigured_provider_is_a_400_naming_its_key() {
    let app = spawn_app().await;
    let (status, body) = app
        .post_json(
            "/openai/v1/chat/completions",
            &json!({ "model": "xai/grok-4-fast", "messages": [user("hi")] }),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["error"]["message"],
        "provider xai is not configured: set XAI_API_KEY"
    );
    assert_eq!(body["error"]["param"], "model");
}

#[tokio::test]
async fn openai_models_are_listed_as_provider_slash_model() {
    let (app, _fakes) = spawn_with_fakes().await;
    let (status, body) = app.get_json("/openai/v1/models").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["object"], "list");
    let data = body["data"].as_array().unwrap();
    let ids: Vec<&str> = data.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"openai/gpt-4.1-mini"), "{ids:?}");
    assert!(ids.contains(&"xai/grok-4-fast"), "{ids:?}");
    assert!(
        ids.contains(&"anthropic/claude-sonnet-4-20250514"),
        "{ids:?}"
    );
    for m in data {
        assert_eq!(m["object"], "model");
        assert!(m["created"].is_i64());
        let provider = m["id"].as_str().unwrap().split('/').next().unwrap();
        assert_eq!(m["owned_by"], provider);
        assert_eq!(m.as_object().unwrap().len(), 4, "{m}");
    }
}

#[tokio::test]
async fn token_mode_guards_openai_like_v1_and_leaves_operations_open() {
    let fakes = crate::helpers::Fakes::start().await;
    let mut env = fakes.env();
    env.push(("ADMIN_TOKEN".into(), "s3cret-token".into()));
    let vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = spawn_app_with(&vars).await;

    let (status, body) = app.get_json("/openai/v1/models").await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "invalid_api_key");
    assert!(!body.to_string().contains("s3cret"));
    let resp = app
        .client
        .post(app.url("/openai/v1/chat/completions"))
        .bearer_auth("wrong")
        .json(&json!({ "model": "openai/gpt-4.1-mini", "messages": [user("hi")] }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);

    let resp = app
        .client
        .post(app.url("/openai/v1/chat/completions"))
        .bearer_auth("s3cret-token")
        .json(&json!({ "model": "openai/gpt-4.1-mini", "messages": [user("hi")] }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    for open in ["/health", "/readyz", "/metrics", "/openapi.json"] {
        let resp = app.client.get(app.url(open)).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{open}");
    }
}

// ---- the spec ---------------------------------------------------------------

#[tokio::test]
async fn the_spec_documents_429_on_the_limited_routes_only() {
    let app = spawn_app().await;
    let (_, spec) = app.get_json("/openapi.json").await;
    let limited = [
        ("/v1/chat-completions", "post"),
        ("/v1/chat-completions/stream", "post"),
        ("/v1/chats/title/suggest", "post"),
        ("/v1/searches/{searchId}/run", "post"),
        ("/openai/v1/chat/completions", "post"),
    ];
    for (path, ops) in spec["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let too_many = &op["responses"]["429"];
            if limited.contains(&(path.as_str(), method.as_str())) {
                let headers = too_many["headers"].as_object().unwrap();
                assert!(
                    headers
                        .keys()
                        .any(|h| h.eq_ignore_ascii_case("retry-after")),
                    "{method} {path}"
                );
            } else {
                assert!(too_many.is_null(), "{method} {path} is not limited");
            }
        }
    }
    for path in ["/openai/v1/models", "/openai/v1/chat/completions"] {
        for (_, op) in spec["paths"][path].as_object().unwrap() {
            for status in ["400", "401"] {
                assert_eq!(
                    op["responses"][status]["content"]["application/json; charset=utf-8"]["schema"]
                        ["$ref"],
                    "#/components/schemas/OpenAiErrorEnvelope",
                    "{path} {status}"
                );
            }
        }
    }
}
