//! `x-request-id`: echoed when the client sends a usable one, made
//! otherwise, and written into that request's log lines.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::helpers::{spawn_app, temp_db_path};

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
