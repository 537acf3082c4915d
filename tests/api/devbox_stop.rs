//! Stopping a resumable completion while `shell_exec` runs on the devbox: the
//! remote command itself is killed (checked on the devbox, a real sshd on
//! this machine), not only its SSH channel closed.

use std::time::Duration;

use serde_json::json;
use sybil_testkit::Reply;
use sybil_testkit::sshd::{Beacon, sshd};

use crate::helpers::{Fakes, devbox_env, spawn_app_with};
use crate::sse::{parse_frames, read_until};

#[tokio::test]
async fn stop_kills_the_running_shell_command_on_the_devbox() {
    let Some(sshd) = sshd() else { return };
    let fakes = Fakes::start().await;
    let mut env = fakes.env();
    env.extend(devbox_env(&sshd));
    let vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = spawn_app_with(&vars).await;

    let mut beacon = Beacon::new(&sshd.path("beacon"));
    let finished = sshd.path("finished");
    let command = format!("{}sleep 60; touch '{}'", beacon.open(), finished.display());
    fakes.openai.push(
        Reply::tool_calls(&[("shell_exec", &json!({ "command": command }).to_string())])
            .with_text("Running it. "),
    );
    let body = json!({ "provider": "openai", "model": "gpt-4.1-mini", "resumable": true,
                       "messages": [{ "role": "user", "content": "run it" }] });
    let mut resp = app.open_stream(&body).await;
    assert_eq!(resp.status(), 200);
    let buffer = read_until(&mut resp, |frames| !frames.is_empty()).await;
    let id = parse_frames(&buffer)[0].data["completionId"]
        .as_str()
        .unwrap()
        .to_string();

    // Stop once the command runs on the devbox.
    assert!(
        beacon.started(Duration::from_secs(10)).await,
        "the remote command started"
    );
    let (status, body) = app
        .post_json(&format!("/v1/chat-completions/{id}/stop"), &json!({}))
        .await;
    assert_eq!((status, body), (200, json!({ "stopped": true })));

    let rest = resp.text().await.unwrap();
    let frames = parse_frames(&(buffer + &rest));
    assert_eq!(frames.last().unwrap().event, "done");
    assert!(frames.iter().all(|f| f.event != "tool_call"));
    assert!(
        beacon.ended(Duration::from_secs(5)).await,
        "the command still runs on the devbox"
    );
    assert!(!finished.exists(), "the command went on after the stop");
}
