//! The `text/event-stream` line protocol (WHATWG HTML, "Interpreting an event
//! stream"), fed with the body's chunks as they arrive.
//!
//! Linear in the body: each byte is searched for a line end once (with
//! `memchr`, many bytes a step), and a consumed line is never copied again.
//! (eventsource-stream re-parses a partial line from its start on every
//! chunk and copies the rest of its buffer after every line, which is
//! quadratic in long lines and big chunks.)

/// One dispatched event: its `event:` name (empty when none) and its
/// `data:` lines joined by `\n`.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Event {
    pub event: String,
    pub data: String,
}

/// A line that is not UTF-8.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("a line of the event stream is not UTF-8")]
pub(crate) struct NotUtf8;

#[derive(Default)]
pub(crate) struct Parser {
    buf: Vec<u8>,
    /// Start of the first unconsumed line in `buf`.
    start: usize,
    /// `buf[start..scanned]` holds no line end.
    scanned: usize,
    /// The last line ended with CR: an LF right after it belongs to it.
    after_cr: bool,
    /// The byte order mark is only allowed before the first line.
    started: bool,
    pending: Pending,
}

/// The event being read.
#[derive(Default)]
struct Pending {
    event: String,
    /// The data lines so far, joined by `\n`.
    data: String,
    /// A `data` line came since the last dispatch (`data` may be empty).
    has_data: bool,
}

impl Parser {
    pub(crate) fn push(&mut self, chunk: &[u8]) {
        if self.start > 0 {
            // Only the unfinished line moves, and only once per chunk.
            self.buf.drain(..self.start);
            self.scanned -= self.start;
            self.start = 0;
        }
        self.buf.extend_from_slice(chunk);
    }

    /// The next complete event, `None` until more bytes are pushed.
    pub(crate) fn next_event(&mut self) -> Result<Option<Event>, NotUtf8> {
        loop {
            if self.after_cr && self.start < self.buf.len() {
                if self.buf[self.start] == b'\n' {
                    self.start += 1;
                }
                self.after_cr = false;
            }
            let from = self.scanned.max(self.start);
            let Some(offset) = memchr::memchr2(b'\n', b'\r', &self.buf[from..]) else {
                if self.start == self.buf.len() {
                    // All read: give the memory back while the stream idles.
                    self.buf = Vec::new();
                    self.start = 0;
                }
                self.scanned = self.buf.len();
                return Ok(None);
            };
            let end = from + offset;
            self.after_cr = self.buf[end] == b'\r';
            let mut line = &self.buf[self.start..end];
            self.start = end + 1;
            self.scanned = self.start;
            if !self.started {
                self.started = true;
                line = line.strip_prefix("\u{feff}".as_bytes()).unwrap_or(line);
            }
            let line = std::str::from_utf8(line).map_err(|_| NotUtf8)?;
            if let Some(event) = self.pending.on_line(line) {
                return Ok(Some(event));
            }
        }
    }
}

impl Pending {
    /// Applies one line; an empty line dispatches the event, if it has data.
    fn on_line(&mut self, line: &str) -> Option<Event> {
        if line.is_empty() {
            let event = std::mem::take(&mut self.event);
            if !std::mem::take(&mut self.has_data) {
                return None;
            }
            let data = std::mem::take(&mut self.data);
            return Some(Event { event, data });
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "event" => self.event = value.to_string(),
            // The standard appends each line and a `\n`, then drops the last
            // `\n`: the same text, without growing the string for it.
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            // `id` and `retry` matter to reconnecting browsers, not to us.
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(chunks: &[&[u8]]) -> Vec<Event> {
        let mut parser = Parser::default();
        let mut out = Vec::new();
        for chunk in chunks {
            parser.push(chunk);
            while let Some(e) = parser.next_event().unwrap() {
                out.push(e);
            }
        }
        out
    }

    fn ev(event: &str, data: &str) -> Event {
        Event {
            event: event.into(),
            data: data.into(),
        }
    }

    #[test]
    fn named_and_data_only_events() {
        let got = events(&[b"event: a\ndata: {\"x\":1}\n\ndata: [DONE]\n\n"]);
        assert_eq!(got, [ev("a", "{\"x\":1}"), ev("", "[DONE]")]);
    }

    #[test]
    fn every_split_gives_the_same_events() {
        let body = "\u{feff}: comment\r\nevent: é\r\ndata:one\r\ndata:  two\r\rdata\n\nid: 7\nretry: 5\n\n";
        let whole = events(&[body.as_bytes()]);
        assert_eq!(whole, [ev("é", "one\n two"), ev("", "")]);
        for at in 0..body.len() {
            let (a, b) = body.as_bytes().split_at(at);
            assert_eq!(events(&[a, b]), whole, "split at {at}");
        }
        let bytes: Vec<&[u8]> = body.as_bytes().chunks(1).collect();
        assert_eq!(events(&bytes), whole);
    }

    #[test]
    fn empty_data_lines_are_kept_between_the_others() {
        let got = events(&[b"data: a\ndata\ndata:\ndata: b\n\ndata:\n\n"]);
        assert_eq!(got, [ev("", "a\n\n\nb"), ev("", "")]);
    }

    #[test]
    fn an_event_without_its_blank_line_is_not_dispatched() {
        assert_eq!(events(&[b"data: cut"]), []);
        assert_eq!(events(&[b"event: only-a-name\n\n"]), []);
    }

    #[test]
    fn invalid_utf8_is_an_error() {
        let mut parser = Parser::default();
        parser.push(b"data: \xff\n\n");
        assert_eq!(parser.next_event(), Err(NotUtf8));
    }
}
