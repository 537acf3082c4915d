//! Text lines' fields without colour, written directly.
//!
//! tracing-subscriber's default field writer styles every field name (italic)
//! and `=` (dimmed) even when colour is off: an empty style still goes
//! through `nu_ansi_term`'s formatting, about 30 times per request (4.5 % of
//! a completion's instructions under callgrind, the names' own writing
//! included; writing them directly saved 1.7 %). This writes the same
//! text: `name=value` separated by single spaces, the message bare with its
//! terminal control characters escaped, a raw identifier without its `r#`,
//! and the `log.*` fields of bridged `log` records left out.

use std::fmt::{self, Write};

use tracing::field::{Field, Visit};
use tracing_subscriber::field::{MakeVisitor, VisitFmt, VisitOutput};
use tracing_subscriber::fmt::format::Writer;

/// The field writer for text lines when colour is off.
pub struct PlainFields;

impl<'w> MakeVisitor<Writer<'w>> for PlainFields {
    type Visitor = PlainVisitor<'w>;

    fn make_visitor(&self, out: Writer<'w>) -> PlainVisitor<'w> {
        PlainVisitor {
            out,
            first: true,
            result: Ok(()),
        }
    }
}

pub struct PlainVisitor<'w> {
    out: Writer<'w>,
    /// No field written yet: no space before the next one. A skipped field
    /// writes nothing, so it is not counted.
    first: bool,
    result: fmt::Result,
}

impl Visit for PlainVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        // A message given as a string reads bare, like a formatted one.
        if field.name() == "message" {
            self.record_debug(field, &format_args!("{value}"));
        } else {
            self.record_debug(field, &value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let name = field.name();
        // Already in the line's target and location.
        if self.result.is_err() || name.starts_with("log.") {
            return;
        }
        if !std::mem::take(&mut self.first) {
            self.result = self.out.write_char(' ');
        }
        self.result = self.result.and_then(|()| match name {
            "message" => write!(EscapeControls(&mut self.out), "{value:?}"),
            name => write!(
                self.out,
                "{}={value:?}",
                name.strip_prefix("r#").unwrap_or(name)
            ),
        });
    }
}

impl VisitOutput<fmt::Result> for PlainVisitor<'_> {
    fn finish(self) -> fmt::Result {
        self.result
    }
}

impl VisitFmt for PlainVisitor<'_> {
    fn writer(&mut self) -> &mut dyn Write {
        &mut self.out
    }
}

/// Writes a message with the characters that could drive a terminal
/// escaped, as the default writer does: C0 ones as `\xNN`, C1 ones as
/// `\u{NN}`.
struct EscapeControls<'a, 'w>(&'a mut Writer<'w>);

impl Write for EscapeControls<'_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut rest = s;
        while let Some(at) = rest.find(is_control) {
            self.0.write_str(&rest[..at])?;
            let ch = rest[at..].chars().next().unwrap_or_default();
            if ch.is_ascii() {
                write!(self.0, "\\x{:02x}", ch as u32)?;
            } else {
                write!(self.0, "\\u{{{:x}}}", ch as u32)?;
            }
            rest = &rest[at + ch.len_utf8()..];
        }
        self.0.write_str(rest)
    }
}

fn is_control(ch: char) -> bool {
    matches!(
        ch,
        '\x1b' | '\x07' | '\x08' | '\x0c' | '\x7f' | '\u{80}'..='\u{9f}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::fmt::MakeWriter;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl MakeWriter<'_> for Captured {
        type Writer = Captured;
        fn make_writer(&self) -> Captured {
            self.clone()
        }
    }

    fn log_some_lines() {
        let id = "0190-abc";
        let span =
            tracing::info_span!("http_request", request_id = %id, method = "POST", r#type = 3);
        let _entered = span.enter();
        tracing::info!(
            status = 200u16,
            latency_ms = 0.125,
            path = "/v1/\"x\"",
            "request finished"
        );
        tracing::warn!(error = %"upstream said \x1b[31mred\x1b[0m", "call failed: \x1b[2J\u{9b}cleared");
        tracing::info!(ok = true, "message with {} argument", 1);
        // A bridged `log` record: its `log.*` fields are left out, with no
        // space left behind for them.
        tracing::info!(log.target = "sqlx", log.line = 7u32, "from the log crate");
        tracing::info!(message = "a message given as a string", n = 2);
    }

    fn lines(default_fields: bool) -> String {
        let out = Captured::default();
        let builder = tracing_subscriber::fmt()
            .with_writer(out.clone())
            .with_ansi(false)
            .without_time();
        if default_fields {
            tracing::subscriber::with_default(builder.finish(), log_some_lines);
        } else {
            let subscriber = builder.fmt_fields(PlainFields).finish();
            tracing::subscriber::with_default(subscriber, log_some_lines);
        }
        String::from_utf8(out.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn lines_read_as_the_default_writer_s_without_colour() {
        let ours = lines(false);
        assert_eq!(ours, lines(true));
        assert!(
            ours.contains("call failed: \\x1b[2J\\u{9b}cleared"),
            "{ours}"
        );
        assert!(
            ours.contains("http_request{request_id=0190-abc method=\"POST\" type=3}"),
            "{ours}"
        );
        assert!(ours.contains(": from the log crate\n"), "{ours}");
    }
}
