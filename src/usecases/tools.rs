//! Running the tools the model asks for, each in its own tracing span.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use sybil_domain::devbox::{codex_command, reject_nul, shell_command};
use sybil_domain::tool_loop::{ToolName, ToolOutcome, tool_argument};
use sybil_metrics::record_tool_call;
use sybil_ports::outbound::{
    ExecOutput, PageFetcher, RemoteShell, SearchHit, ToolCall, ToolSpec, WebSearch,
};
use tracing::Instrument;

/// The devbox tools: one host, one working folder.
#[derive(Clone)]
pub struct Devbox {
    pub shell: Arc<dyn RemoteShell>,
    pub workdir: String,
    /// `Some(timeout)` when `codex_exec` is enabled.
    pub codex: Option<Duration>,
    /// `Some(timeout)` when `shell_exec` is enabled.
    pub shell_exec: Option<Duration>,
}

/// The tools a completion may use, and how to run them.
#[derive(Clone)]
pub struct ToolRunner {
    /// `None` when no engine is configured; the tool then fails with a hint.
    pub web_search: Option<Arc<dyn WebSearch>>,
    pub fetcher: Arc<dyn PageFetcher>,
    pub devbox: Option<Devbox>,
}

fn spec(tool: ToolName, description: &str, parameter: &str) -> ToolSpec {
    ToolSpec {
        name: tool.as_str().to_string(),
        description: description.to_string(),
        parameters: json!({
            "type": "object",
            "properties": { tool.parameter(): { "type": "string", "description": parameter } },
            "required": [tool.parameter()],
            "additionalProperties": false,
        }),
    }
}

impl ToolRunner {
    fn timeout_of(&self, tool: ToolName) -> Option<Duration> {
        let devbox = self.devbox.as_ref()?;
        match tool {
            ToolName::CodexExec => devbox.codex,
            ToolName::ShellExec => devbox.shell_exec,
            ToolName::WebSearch | ToolName::FetchUrl => None,
        }
    }

    fn enabled(&self, tool: ToolName) -> bool {
        match tool {
            ToolName::WebSearch | ToolName::FetchUrl => true,
            ToolName::CodexExec | ToolName::ShellExec => self.timeout_of(tool).is_some(),
        }
    }

    /// The tools offered to the model: web_search and fetch_url always,
    /// the devbox tools when enabled.
    pub fn specs(&self) -> Vec<ToolSpec> {
        ToolName::ALL
            .into_iter()
            .filter(|t| self.enabled(*t))
            .map(|t| match t {
                ToolName::WebSearch => spec(
                    t,
                    "Search the web. Returns ranked results with titles, URLs and summaries.",
                    "The search query.",
                ),
                ToolName::FetchUrl => spec(
                    t,
                    "Fetch a web page (http or https) and return its readable plain text.",
                    "The absolute URL to fetch.",
                ),
                ToolName::CodexExec => spec(
                    t,
                    "Delegate a coding, shell, repository inspection or other complex software \
                     task to a Codex CLI agent in a persistent remote workspace.",
                    "The complete task for the agent.",
                ),
                ToolName::ShellExec => spec(
                    t,
                    "Run a non-interactive shell command on the remote devbox, starting in the \
                     persistent workspace folder.",
                    "The shell command line to run.",
                ),
            })
            .collect()
    }

    /// Runs one call. Never fails: a failure is a `failed` outcome whose
    /// error text goes to the model.
    pub async fn run(&self, call: &ToolCall) -> ToolOutcome {
        let span = tracing::info_span!("tool_call", tool = %call.name, call_id = %call.id);
        let started = Instant::now();
        let result = self.dispatch(call).instrument(span.clone()).await;
        let ms = started.elapsed().as_millis() as u64;
        let outcome = match result {
            Ok(output) => ToolOutcome::completed(&output, ms),
            Err(error) => ToolOutcome::failed(&error, ms),
        };
        record_tool_call(&call.name, outcome.status(), started.elapsed());
        span.in_scope(|| {
            tracing::info!(
                status = outcome.status(),
                duration_ms = ms,
                "tool call finished"
            )
        });
        outcome
    }

    async fn dispatch(&self, call: &ToolCall) -> Result<String, String> {
        let tool = ToolName::parse(&call.name)
            .filter(|t| self.enabled(*t))
            .ok_or_else(|| format!("unknown or disabled tool: {}", call.name))?;
        let argument = tool_argument(tool, &call.arguments)?;
        match tool {
            ToolName::WebSearch => {
                let engine = self.web_search.as_ref().ok_or(
                    "web_search is not configured: set EXA_API_KEY, or CHAT_WEB_SEARCH_ENGINE=searxng with SEARXNG_BASE_URL",
                )?;
                let hits = engine.search(&argument).await.map_err(|e| e.message)?;
                Ok(format_hits(&argument, &hits))
            }
            ToolName::FetchUrl => {
                let page = self.fetcher.fetch(&argument).await.map_err(|e| e.message)?;
                Ok(format!("URL: {}\n\n{}", page.url, page.text))
            }
            ToolName::CodexExec | ToolName::ShellExec => {
                let (Some(devbox), Some(timeout)) = (self.devbox.as_ref(), self.timeout_of(tool))
                else {
                    return Err(format!("{} is not enabled", tool.as_str()));
                };
                reject_nul(tool.parameter(), &argument).map_err(|e| e.to_string())?;
                let command = match tool {
                    ToolName::CodexExec => codex_command(&devbox.workdir, &argument),
                    _ => shell_command(&devbox.workdir, &argument),
                };
                let output = devbox
                    .shell
                    .run(&command, timeout)
                    .await
                    .map_err(|e| e.message)?;
                exec_result(&output, timeout)
            }
        }
    }
}

fn format_hits(query: &str, hits: &[SearchHit]) -> String {
    if hits.is_empty() {
        return format!("No results for \"{query}\".");
    }
    hits.iter()
        .enumerate()
        .map(|(i, h)| {
            let date = h
                .published_date
                .as_deref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default();
            format!(
                "{}. {}{}\n{}\n{}",
                i + 1,
                h.title,
                date,
                h.url,
                h.snippet.trim()
            )
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Exit status, stdout and stderr for the model; a non-zero exit or a
/// timeout is a failure carrying the same text.
fn exec_result(output: &ExecOutput, timeout: Duration) -> Result<String, String> {
    let status = match (output.timed_out, output.exit_status) {
        (true, _) => format!(
            "timed out after {} ms; the command was killed",
            timeout.as_millis()
        ),
        (false, Some(code)) => format!("exit status {code}"),
        (false, None) => "exit status unknown".to_string(),
    };
    let text = format!(
        "{status}\n\nstdout:\n{}\n\nstderr:\n{}",
        output.stdout, output.stderr
    );
    if output.timed_out || output.exit_status != Some(0) {
        Err(text)
    } else {
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use async_trait::async_trait;
    use sybil_ports::outbound::{FetchedPage, ToolError};

    use super::*;

    /// Records the command it was given and answers with a fixed output.
    struct RecordingShell {
        seen: Mutex<Vec<(String, Duration)>>,
        exit: i32,
    }

    #[async_trait]
    impl RemoteShell for RecordingShell {
        async fn run(&self, command: &str, timeout: Duration) -> Result<ExecOutput, ToolError> {
            self.seen
                .lock()
                .unwrap()
                .push((command.to_string(), timeout));
            Ok(ExecOutput {
                exit_status: Some(self.exit),
                stdout: "hi".into(),
                stderr: String::new(),
                timed_out: false,
            })
        }
    }

    struct NoFetch;
    #[async_trait]
    impl PageFetcher for NoFetch {
        async fn fetch(&self, _: &str) -> Result<FetchedPage, ToolError> {
            Err(ToolError::new("no"))
        }
    }

    fn runner(shell: Arc<RecordingShell>, codex: bool) -> ToolRunner {
        ToolRunner {
            web_search: None,
            fetcher: Arc::new(NoFetch),
            devbox: Some(Devbox {
                shell,
                workdir: "/work dir".into(),
                codex: codex.then_some(Duration::from_secs(600)),
                shell_exec: Some(Duration::from_secs(120)),
            }),
        }
    }

    fn call(name: &str, arguments: &str) -> ToolCall {
        ToolCall {
            id: "c".into(),
            name: name.into(),
            arguments: arguments.into(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn devbox_tools_send_the_quoted_command_with_their_timeout() {
        let shell = Arc::new(RecordingShell {
            seen: Mutex::new(Vec::new()),
            exit: 0,
        });
        let tools = runner(shell.clone(), true);
        let names: Vec<String> = tools.specs().into_iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            ["web_search", "fetch_url", "codex_exec", "shell_exec"]
        );
        let command = "echo \"$(whoami)\"; ls -la";
        let out = tools
            .run(&call(
                "shell_exec",
                &json!({ "command": command }).to_string(),
            ))
            .await;
        assert_eq!(out.status(), "completed");
        assert!(out.output.starts_with("exit status 0\n\nstdout:\nhi"));
        let codex = tools
            .run(&call("codex_exec", r#"{"prompt":"-fix it"}"#))
            .await;
        assert_eq!(codex.status(), "completed");
        let seen = shell.seen.lock().unwrap().clone();
        assert_eq!(
            seen[0],
            (
                shell_command("/work dir", command),
                Duration::from_secs(120)
            )
        );
        assert_eq!(
            seen[1],
            (
                codex_command("/work dir", "-fix it"),
                Duration::from_secs(600)
            )
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_non_zero_exit_fails_and_disabled_tools_are_refused() {
        let shell = Arc::new(RecordingShell {
            seen: Mutex::new(Vec::new()),
            exit: 3,
        });
        let tools = runner(shell.clone(), false);
        let out = tools
            .run(&call("shell_exec", r#"{"command":"false"}"#))
            .await;
        assert_eq!(out.status(), "failed");
        assert!(out.output.starts_with("exit status 3"));
        let out = tools.run(&call("codex_exec", r#"{"prompt":"x"}"#)).await;
        assert_eq!(
            out.error.as_deref(),
            Some("unknown or disabled tool: codex_exec")
        );
        let out = tools
            .run(&call("shell_exec", "{\"command\":\"a\\u0000b\"}"))
            .await;
        assert_eq!(out.status(), "failed");
        assert_eq!(
            shell.seen.lock().unwrap().len(),
            1,
            "nothing ran for the refused calls"
        );
    }

    fn output(exit: Option<i32>, timed_out: bool) -> ExecOutput {
        ExecOutput {
            exit_status: exit,
            stdout: "out".into(),
            stderr: "err".into(),
            timed_out,
        }
    }

    #[test]
    fn exec_results_carry_status_stdout_and_stderr() {
        let t = Duration::from_millis(1500);
        assert_eq!(
            exec_result(&output(Some(0), false), t),
            Ok("exit status 0\n\nstdout:\nout\n\nstderr:\nerr".into())
        );
        assert_eq!(
            exec_result(&output(Some(2), false), t),
            Err("exit status 2\n\nstdout:\nout\n\nstderr:\nerr".into())
        );
        let timed_out = exec_result(&output(None, true), t).unwrap_err();
        assert!(timed_out.starts_with("timed out after 1500 ms; the command was killed"));
    }

    #[test]
    fn search_hits_are_numbered_readable_text() {
        let hits = [SearchHit {
            title: "Tokio".into(),
            url: "https://tokio.rs".into(),
            snippet: " An async runtime. ".into(),
            published_date: Some("2024-01-01".into()),
        }];
        assert_eq!(
            format_hits("rust", &hits),
            "1. Tokio (2024-01-01)\nhttps://tokio.rs\nAn async runtime."
        );
        assert_eq!(format_hits("zzz", &[]), "No results for \"zzz\".");
    }
}
