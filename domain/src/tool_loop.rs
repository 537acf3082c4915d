//! The tool loop as a pure state machine: what to do with each model output,
//! the round limit, tool arguments, output capping and the stored record.

use serde_json::{Value, json};

/// Most characters of a tool output given to the model, marker included.
pub const TOOL_OUTPUT_LIMIT: usize = 20_000;

/// Default of `CHAT_MAX_TOOL_ROUNDS`.
pub const DEFAULT_MAX_TOOL_ROUNDS: u32 = 100;

/// What the loop does after a model call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The model answered: its text is the reply.
    Answer,
    /// Run the requested tools as round `round` (numbered from 1).
    RunTools { round: u32 },
    /// The model asked for tools after `max_rounds` rounds: stop with the limit message.
    LimitReached,
}

/// Decides the next step from whether the model asked for tools and how
/// many rounds already ran.
pub fn next_step(asked_for_tools: bool, rounds_done: u32, max_rounds: u32) -> Step {
    match (asked_for_tools, rounds_done < max_rounds) {
        (false, _) => Step::Answer,
        (true, true) => Step::RunTools {
            round: rounds_done + 1,
        },
        (true, false) => Step::LimitReached,
    }
}

/// The plain assistant reply when the limit is reached.
pub fn limit_message(max_rounds: u32) -> String {
    format!("Tool limit reached: stopped after {max_rounds} tool rounds.")
}

/// The tools Sybil can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ToolName {
    WebSearch,
    FetchUrl,
    CodexExec,
    ShellExec,
}

impl ToolName {
    pub const ALL: [ToolName; 4] = [
        ToolName::WebSearch,
        ToolName::FetchUrl,
        ToolName::CodexExec,
        ToolName::ShellExec,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ToolName::WebSearch => "web_search",
            ToolName::FetchUrl => "fetch_url",
            ToolName::CodexExec => "codex_exec",
            ToolName::ShellExec => "shell_exec",
        }
    }

    /// The one string parameter each tool takes.
    pub fn parameter(self) -> &'static str {
        match self {
            ToolName::WebSearch => "query",
            ToolName::FetchUrl => "url",
            ToolName::CodexExec => "prompt",
            ToolName::ShellExec => "command",
        }
    }

    pub fn parse(name: &str) -> Option<ToolName> {
        ToolName::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

/// The model's arguments as a JSON object, for the stored record; text that
/// is not a JSON object is kept as `{ "raw": "<text>" }`.
pub fn arguments_object(arguments: &str) -> Value {
    match serde_json::from_str::<Value>(arguments) {
        Ok(v @ Value::Object(_)) => v,
        _ => json!({ "raw": arguments }),
    }
}

/// Reads the tool's single string parameter from the model's arguments text.
pub fn tool_argument(tool: ToolName, arguments: &str) -> Result<String, String> {
    let name = tool.parameter();
    let rule = || {
        format!(
            "invalid arguments for {}: expected a JSON object with a non-empty string field `{name}`",
            tool.as_str()
        )
    };
    let value: Value = serde_json::from_str(arguments).map_err(|_| rule())?;
    match value.get(name).and_then(Value::as_str) {
        Some(s) if !s.trim().is_empty() => Ok(s.to_string()),
        _ => Err(rule()),
    }
}

/// Caps a tool output at `TOOL_OUTPUT_LIMIT` characters, the whole result
/// included; a cut output ends with the line `[truncated: <n> more characters]`.
/// Each U+0000 (a fetched page's, a command's) becomes U+FFFD.
pub fn cap_output(output: &str) -> String {
    let total = output.chars().count();
    if total <= TOOL_OUTPUT_LIMIT {
        return crate::nul::replace_nul(output.to_string());
    }
    // The marker's length depends on n, and n on how much is kept: settle it.
    let mut keep = TOOL_OUTPUT_LIMIT;
    loop {
        let marker = format!("\n[truncated: {} more characters]", total - keep);
        let fits = TOOL_OUTPUT_LIMIT - marker.chars().count();
        if fits == keep {
            let kept: String = output.chars().take(keep).collect();
            return crate::nul::replace_nul(format!("{kept}{marker}"));
        }
        keep = fits;
    }
}

/// Outcome of one tool call, as stored and streamed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolOutcome {
    /// What the model is given (capped); on failure, the error text.
    pub output: String,
    /// `None` when the tool completed.
    pub error: Option<String>,
    pub duration_ms: u64,
}

impl ToolOutcome {
    pub fn completed(output: &str, duration_ms: u64) -> Self {
        ToolOutcome {
            output: cap_output(output),
            error: None,
            duration_ms,
        }
    }

    /// A failure: the error text goes to the model as the output.
    pub fn failed(error: &str, duration_ms: u64) -> Self {
        let capped = cap_output(error);
        ToolOutcome {
            output: capped.clone(),
            error: Some(capped),
            duration_ms,
        }
    }

    pub fn status(&self) -> &'static str {
        if self.error.is_some() {
            "failed"
        } else {
            "completed"
        }
    }
}

/// The metadata of a stored tool message.
pub fn tool_message_metadata(
    tool_call_id: &str,
    tool_name: &str,
    arguments: &str,
    outcome: &ToolOutcome,
    round: u32,
) -> Value {
    json!({
        "kind": "tool_call",
        "toolCallId": tool_call_id,
        "toolName": tool_name,
        "arguments": arguments_object(arguments),
        "status": outcome.status(),
        "error": outcome.error,
        "durationMs": outcome.duration_ms,
        "round": round,
    })
}

#[cfg(test)]
mod tests;
