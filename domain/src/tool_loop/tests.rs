use super::*;

#[test]
fn an_answer_ends_the_loop_whatever_the_round() {
    assert_eq!(next_step(false, 0, 100), Step::Answer);
    assert_eq!(next_step(false, 100, 100), Step::Answer);
}

#[test]
fn rounds_are_numbered_from_one_up_to_the_limit() {
    assert_eq!(next_step(true, 0, 3), Step::RunTools { round: 1 });
    assert_eq!(next_step(true, 2, 3), Step::RunTools { round: 3 });
    assert_eq!(next_step(true, 3, 3), Step::LimitReached);
    assert_eq!(next_step(true, 0, 0), Step::LimitReached);
}

#[test]
fn the_limit_message_names_the_number() {
    assert_eq!(
        limit_message(100),
        "Tool limit reached: stopped after 100 tool rounds."
    );
}

#[test]
fn tool_names_round_trip() {
    for t in ToolName::ALL {
        assert_eq!(ToolName::parse(t.as_str()), Some(t));
    }
    assert_eq!(ToolName::parse("rm_rf"), None);
}

#[test]
fn arguments_are_read_by_the_tools_parameter() {
    assert_eq!(
        tool_argument(ToolName::WebSearch, r#"{"query":"rust"}"#),
        Ok("rust".into())
    );
    assert_eq!(
        tool_argument(ToolName::FetchUrl, r#"{"url":"https://a.b","x":1}"#),
        Ok("https://a.b".into())
    );
    for bad in [
        r#"{"query":""}"#,
        r#"{"q":"rust"}"#,
        r#"{"query":5}"#,
        "not json",
        "[]",
        "",
    ] {
        assert_eq!(
            tool_argument(ToolName::WebSearch, bad),
            Err("invalid arguments for web_search: expected a JSON object with a non-empty string field `query`".into()),
            "{bad}"
        );
    }
}

#[test]
fn stored_arguments_are_always_an_object() {
    assert_eq!(
        arguments_object(r#"{"query":"x"}"#),
        json!({ "query": "x" })
    );
    assert_eq!(arguments_object("{broken"), json!({ "raw": "{broken" }));
    assert_eq!(arguments_object("[1]"), json!({ "raw": "[1]" }));
}

#[test]
fn outputs_at_the_limit_are_kept_whole() {
    let exact = "é".repeat(TOOL_OUTPUT_LIMIT);
    assert_eq!(cap_output(&exact), exact);
}

#[test]
fn nul_becomes_the_replacement_character_in_short_and_cut_outputs() {
    assert_eq!(cap_output("a\0b"), "a\u{FFFD}b");
    let long = "\0".repeat(TOOL_OUTPUT_LIMIT + 1);
    let capped = cap_output(&long);
    assert!(!capped.contains('\0'));
    assert_eq!(capped.chars().count(), TOOL_OUTPUT_LIMIT);
    assert!(capped.starts_with('\u{FFFD}'));
}

#[test]
fn longer_outputs_are_cut_to_the_limit_marker_included() {
    let long = "a".repeat(TOOL_OUTPUT_LIMIT + 1);
    let capped = cap_output(&long);
    assert_eq!(capped.chars().count(), TOOL_OUTPUT_LIMIT);
    let (kept, marker) = capped.rsplit_once('\n').unwrap();
    let n = TOOL_OUTPUT_LIMIT + 1 - kept.chars().count();
    assert_eq!(marker, format!("[truncated: {n} more characters]"));

    let huge = "😀".repeat(1_000_000);
    let capped = cap_output(&huge);
    assert_eq!(capped.chars().count(), TOOL_OUTPUT_LIMIT);
    assert!(capped.ends_with("more characters]"));
    let kept = capped.rsplit_once('\n').unwrap().0.chars().count();
    assert!(capped.ends_with(&format!(
        "[truncated: {} more characters]",
        1_000_000 - kept
    )));
}

#[test]
fn failed_outcomes_give_the_error_to_the_model() {
    let failed = ToolOutcome::failed("HTTP 404 Not Found from https://x", 12);
    assert_eq!(failed.status(), "failed");
    assert_eq!(failed.output, "HTTP 404 Not Found from https://x");
    let ok = ToolOutcome::completed("fine", 3);
    assert_eq!((ok.status(), ok.error.clone()), ("completed", None));
}

#[test]
fn metadata_has_exactly_the_contract_fields() {
    let meta = tool_message_metadata(
        "call_1",
        "web_search",
        r#"{"query":"x"}"#,
        &ToolOutcome::failed("boom", 7),
        2,
    );
    assert_eq!(
        meta,
        json!({ "kind": "tool_call", "toolCallId": "call_1", "toolName": "web_search",
                "arguments": { "query": "x" }, "status": "failed", "error": "boom",
                "durationMs": 7, "round": 2 })
    );
}
