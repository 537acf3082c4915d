//! The text being built: whitespace collapsed, blocks separated by the line breaks they owe.

/// Blocks separated from their neighbours by a blank line.
const PARAGRAPHS: &[&str] = &[
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "table",
    "ul",
    "ol",
    "dl",
    "figure",
    "section",
    "article",
    "header",
    "footer",
    "nav",
    "aside",
    "main",
    "form",
    "fieldset",
    "details",
    "address",
    "hr",
];

/// Blocks that start on a new line.
const LINES: &[&str] = &[
    "html",
    "body",
    "div",
    "li",
    "dt",
    "dd",
    "tr",
    "caption",
    "figcaption",
    "summary",
    "option",
    "legend",
    "br",
    "center",
    "search",
];

/// The text being written, with the separators still owed to it.
#[derive(Default)]
pub(super) struct Out {
    text: String,
    /// Whitespace was seen since the last word.
    space: bool,
    /// Newlines owed before the next word: 1 = new line, 2 = blank line.
    breaks: u8,
    /// Inside `<pre>`: whitespace is kept as written.
    pre: usize,
    /// A cell was already written in the current table row.
    cell_in_row: bool,
}

impl Out {
    pub(super) fn open(&mut self, name: &str) {
        if name == "pre" {
            self.pre += 1;
        }
        if name == "tr" {
            self.cell_in_row = false;
        }
        self.separate(name);
        match name {
            "li" => self.word("- "),
            "td" | "th" => {
                if self.cell_in_row {
                    self.word(" | ");
                }
                self.cell_in_row = true;
            }
            _ => {}
        }
    }

    pub(super) fn close(&mut self, name: &str) {
        if name == "pre" {
            self.pre = self.pre.saturating_sub(1);
        }
        self.separate(name);
    }

    fn separate(&mut self, name: &str) {
        if PARAGRAPHS.contains(&name) {
            self.owe(2);
        } else if LINES.contains(&name) {
            self.owe(1);
        }
    }

    fn owe(&mut self, breaks: u8) {
        if !self.text.is_empty() {
            self.breaks = self.breaks.max(breaks);
        }
        self.space = false;
    }

    /// Writes `s` as is, after the separators owed.
    fn word(&mut self, s: &str) {
        self.pay();
        self.text.push_str(s);
    }

    pub(super) fn text(&mut self, s: &str) {
        if self.pre > 0 {
            self.word(s);
            return;
        }
        for c in s.chars() {
            if c.is_whitespace() {
                self.space = !self.text.is_empty() && self.breaks == 0;
            } else {
                self.pay();
                if self.space && !self.text.ends_with([' ', '\n']) {
                    self.text.push(' ');
                }
                self.space = false;
                self.text.push(c);
            }
        }
    }

    fn pay(&mut self) {
        if self.breaks > 0 && !self.text.is_empty() {
            while self.text.ends_with(' ') {
                self.text.pop();
            }
            for _ in 0..self.breaks {
                self.text.push('\n');
            }
        }
        self.breaks = 0;
    }

    /// Lines trimmed on the right, no more than one blank line in a row.
    pub(super) fn finish(self) -> String {
        let mut lines: Vec<&str> = Vec::new();
        for line in self.text.lines().map(str::trim_end) {
            if line.is_empty() && lines.last().is_none_or(|l| l.is_empty()) {
                continue;
            }
            lines.push(line);
        }
        while lines.last().is_some_and(|l| l.is_empty()) {
            lines.pop();
        }
        lines.join("\n")
    }
}
