//! The `sybil` binary itself: subcommands, configuration errors, JSON logs,
//! graceful shutdown.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::helpers::{new_chat_at, temp_db_path};
use crate::sybil_process::{SybilProcess, lines_until_listening};

fn sybil() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sybil"));
    // Keep the developer's environment (and any .env) out of the test.
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir(std::env::temp_dir());
    cmd
}

#[test]
fn openapi_subcommand_prints_the_committed_spec() {
    let out = sybil().arg("openapi").output().unwrap();
    assert!(out.status.success());
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml")).unwrap();
    assert!(
        String::from_utf8(out.stdout).unwrap() == committed,
        "`sybil openapi` differs from openapi.yaml"
    );

    let out = sybil()
        .args(["openapi", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let spec: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(spec["openapi"], "3.0.0");

    let out = sybil()
        .args(["openapi", "--format", "xml"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn each_bad_variable_is_named_on_its_own_line() {
    let out = sybil()
        .env("PORT", "eighty")
        .env("LOG_FORMAT", "json")
        .env("DATABASE_URL", "mysql://nope")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not a JSON line: {l}")))
        .collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(stdout.contains("PORT: must be a port number"));
    assert!(stdout.contains("DATABASE_URL: must start with"));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn migrate_then_serve_with_json_logs_and_stop_cleanly_on_sigterm() {
    let db = temp_db_path();
    let url = format!("sqlite://{}?mode=rwc", db.display());
    let status = sybil()
        .arg("migrate")
        .env("DATABASE_URL", &url)
        .status()
        .unwrap();
    assert!(status.success());
    assert!(db.exists());

    let mut child = sybil()
        .env("DATABASE_URL", &url)
        .env("PORT", "0")
        .env("LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    // Every line up to "listening" (migration lines included) is JSON.
    for line in lines_until_listening(&mut stdout) {
        serde_json::from_str::<serde_json::Value>(&line)
            .unwrap_or_else(|_| panic!("not a JSON line: {line}"));
    }

    // At once: the signal handlers are in place before "listening" is logged.
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "exit status {status:?}");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    for l in rest.lines() {
        serde_json::from_str::<serde_json::Value>(l)
            .unwrap_or_else(|_| panic!("not a JSON line: {l}"));
    }
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(stderr.is_empty(), "{stderr}");
    let _ = std::fs::remove_file(&db);
}

#[test]
fn help_prints_the_usage_and_succeeds() {
    for flag in ["--help", "-h", "help"] {
        let out = sybil().arg(flag).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{flag}");
        assert!(
            String::from_utf8(out.stdout)
                .unwrap()
                .starts_with("usage: sybil"),
            "{flag}"
        );
        assert!(out.stderr.is_empty(), "{flag}");
    }
    // An unknown command is still a usage error.
    let out = sybil().arg("--nope").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn openapi_into_a_closed_pipe_ends_quietly() {
    let mut child = sybil()
        .arg("openapi")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read one line, as `| head -1` would, then close the pipe.
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("openapi"), "{first}");
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.is_empty(), "{stderr}");
    assert!(out.status.success(), "exit status {:?}", out.status);
}

#[test]
fn a_startup_error_is_printed_once_and_names_the_unreachable_postgres() {
    // Port 1 refuses connections; the password must never be printed.
    let out = sybil()
        .env("DATABASE_URL", "postgres://sybil:hunter2@127.0.0.1:1/sybil")
        .env("PORT", "0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains("hunter2"), "{all}");
    let mentions: Vec<&str> = all
        .lines()
        .filter(|l| l.contains("cannot reach PostgreSQL at 127.0.0.1:1"))
        .collect();
    assert_eq!(mentions.len(), 1, "{all}");
}

#[test]
fn serving_raises_the_open_files_soft_limit_to_the_hard_limit() {
    let db = temp_db_path();
    let url = format!("sqlite://{}?mode=rwc", db.display());
    // Started with a low soft limit, as some service managers do.
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -Sn 256 && exec {}",
            env!("CARGO_BIN_EXE_sybil")
        ))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir(std::env::temp_dir())
        .env("DATABASE_URL", &url)
        .env("PORT", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Kept open until the end: the server logs on.
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    lines_until_listening(&mut stdout);
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", child.id())).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_file(&db);
    let open_files: Vec<&str> = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap()
        .split_whitespace()
        .collect();
    // "Max open files <soft> <hard> files"
    assert_eq!(open_files[3], open_files[4], "{limits}");
    assert_ne!(open_files[3], "256", "{limits}");
}

/// One value per row of a query on the server's database.
async fn column(db_url: &str, sql: &str) -> Vec<String> {
    use sea_orm::{ConnectionTrait, Database, Statement};
    let db = Database::connect(db_url).await.unwrap();
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap();
    let values = rows
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect();
    let _ = db.close().await;
    values
}

#[tokio::test]
async fn sigterm_lets_jobs_finish_in_the_drain_and_stops_the_rest_at_its_deadline() {
    use crate::helpers::Fakes;
    use crate::sse::{parse_frames, read_until, text_of};
    use serde_json::json;
    use sybil_testkit::Reply;

    let fakes = Fakes::start().await;
    let mut vars = fakes.env();
    vars.push(("UPSTREAM_TIMEOUT_MS".into(), "60000".into()));
    vars.push(("SHUTDOWN_DRAIN_MS".into(), "3000".into()));
    let db = temp_db_path();
    let url = format!("sqlite://{}?mode=rwc", db.display());
    vars.push(("DATABASE_URL".into(), url.clone()));
    let server = SybilProcess::start(vars).await;
    let base = server.base.clone();
    let client = reqwest::Client::new();
    let chat = new_chat_at(&client, &base).await;
    let start = |chat: Option<&str>| {
        client
            .post(format!("{base}/v1/chat-completions/stream"))
            .json(
                &json!({ "chatId": chat, "provider": "openai", "model": "gpt-4.1-mini",
                           "resumable": true, "messages": [{ "role": "user", "content": "go" }] }),
            )
            .send()
    };
    // One held past the drain, one that ends within it.
    fakes.openai.push(Reply::hold("never quite finished", 2));
    let mut held = start(Some(&chat)).await.unwrap();
    let first = parse_frames(&read_until(&mut held, |f| f.len() >= 3).await);
    let partial = text_of(&first);
    let words: Vec<String> = (0..20).map(|i| format!("w{i}")).collect();
    fakes
        .openai
        .push(Reply::text(&words.join(" ")).with_chunk_delay(Duration::from_millis(50)));
    let mut quick = start(None).await.unwrap();
    read_until(&mut quick, |f| !f.is_empty()).await;

    let terminated = tokio::spawn(server.terminate());
    let rest = parse_frames(&quick.text().await.unwrap());
    let done = rest.last().unwrap();
    assert_eq!(done.event, "done");
    assert_eq!(
        done.data["message"],
        json!({ "role": "assistant", "content": words.join(" ") })
    );
    let rest = parse_frames(&held.text().await.unwrap());
    let stopped = rest.last().unwrap();
    assert_eq!(stopped.event, "done");
    assert_eq!(
        stopped.data["message"],
        json!({ "role": "assistant", "content": partial, "metadata": { "stopped": true } })
    );
    let status = terminated.await.unwrap();
    assert!(status.success(), "exit status {status:?}");

    let mut jobs = column(
        &url,
        "SELECT status FROM completion_jobs ORDER BY created_at",
    )
    .await;
    jobs.sort();
    assert_eq!(jobs, ["done", "stopped"]);
    let mut calls = column(&url, "SELECT status FROM llm_calls").await;
    calls.sort();
    assert_eq!(calls, ["ok", "stopped"]);
    let stored = column(
        &url,
        "SELECT content || ' ' || metadata FROM messages WHERE role = 'assistant'",
    )
    .await;
    assert_eq!(stored, [format!("{partial} {{\"stopped\":true}}")]);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}
