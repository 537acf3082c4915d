//! HTML to readable plain text: html5ever's tokenizer, one pass, dropping code and keeping words.
//!
//! The tokenizer decodes entities and handles raw-text elements the way
//! browsers do. Its tree builder is deliberately not used: it is quadratic
//! in nesting depth (100,000 nested `<div>`s took minutes), which a hostile
//! page could use to pin a CPU; one pass over the tokens stays linear.

use std::cell::RefCell;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, CharacterTokens, EndTag, StartTag, Tag, TagToken, Token, TokenSink,
    TokenSinkResult, Tokenizer, TokenizerOpts,
};

use out::Out;

mod out;

/// Elements whose content is never text a reader sees. `head` needs no
/// entry: its text-bearing children (`title`, `style`, `script`,
/// `noscript`, `template`) are each handled here.
const SKIPPED: &[&str] = &[
    "script", "style", "noscript", "template", "svg", "math", "iframe", "object", "embed",
    "canvas", "textarea", "select",
];

/// The page's title (if any) on the first line, then its visible text:
/// blocks on their own lines, list items as `- …`, table cells joined by
/// ` | `, entities decoded, whitespace collapsed except inside `<pre>`.
pub(crate) fn to_text(html: &str) -> String {
    let tokenizer = Tokenizer::new(Sink::default(), TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    // Only a script-blocking sink could stop the feed early; ours never does.
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    let walk = tokenizer.sink.walk.into_inner();
    let title = walk.title.unwrap_or_default();
    let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
    let body = walk.out.finish();
    match (title.is_empty(), body.is_empty()) {
        (true, _) => body,
        (false, true) => title,
        (false, false) => format!("{title}\n\n{body}"),
    }
}

/// The state the tokenizer's callbacks write to (they only get `&self`).
#[derive(Default)]
struct Sink {
    walk: RefCell<Walk>,
}

impl TokenSink for Sink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut walk = self.walk.borrow_mut();
        match token {
            TagToken(tag) => walk.tag(&tag),
            CharacterTokens(text) => {
                walk.text(&text);
                TokenSinkResult::Continue
            }
            _ => TokenSinkResult::Continue,
        }
    }
}

#[derive(Default)]
struct Walk {
    out: Out,
    /// The first `<title>`'s text, once it has started.
    title: Option<String>,
    in_title: bool,
    /// The element being skipped and how deeply it is nested in itself.
    skip: Option<(String, usize)>,
}

impl Walk {
    fn tag(&mut self, tag: &Tag) -> TokenSinkResult<()> {
        let name: &str = &tag.name;
        let opens = tag.kind == StartTag && !tag.self_closing;
        // The tree builder would switch the tokenizer for these; we must too,
        // or `<script>if (a<b)…` would be read as markup.
        let raw = if opens { raw_kind(name) } else { None };
        if let Some((skipped, depth)) = &mut self.skip {
            if skipped == name {
                if opens {
                    *depth += 1;
                } else if tag.kind == EndTag {
                    *depth -= 1;
                }
                if *depth == 0 {
                    self.skip = None;
                }
            }
        } else if name == "title" {
            if opens && self.title.is_none() {
                self.title = Some(String::new());
                self.in_title = true;
            } else if opens {
                self.skip = Some(("title".to_string(), 1));
            } else {
                self.in_title = false;
            }
        } else if opens && SKIPPED.contains(&name) {
            self.skip = Some((name.to_string(), 1));
        } else if tag.kind == StartTag {
            self.out.open(name);
        } else {
            self.out.close(name);
        }
        match raw {
            Some(RawData::Kind(kind)) => TokenSinkResult::RawData(kind),
            Some(RawData::Plaintext) => TokenSinkResult::Plaintext,
            None => TokenSinkResult::Continue,
        }
    }

    fn text(&mut self, text: &str) {
        if self.skip.is_some() {
            return;
        }
        if self.in_title {
            if let Some(title) = &mut self.title {
                title.push_str(text);
            }
            return;
        }
        self.out.text(text);
    }
}

enum RawData {
    Kind(RawKind),
    Plaintext,
}

/// How the HTML spec tokenizes the content of `name`.
fn raw_kind(name: &str) -> Option<RawData> {
    Some(match name {
        "title" | "textarea" => RawData::Kind(RawKind::Rcdata),
        "style" | "xmp" | "iframe" | "noembed" | "noframes" | "noscript" => {
            RawData::Kind(RawKind::Rawtext)
        }
        "script" => RawData::Kind(RawKind::ScriptData),
        "plaintext" => RawData::Plaintext,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_title_and_words_drops_code() {
        let html = r#"<!doctype html><html><head><title> My   Page </title>
            <style>body { color: red }</style><script>var secret = 1;</script>
            <meta name="x" content="y"></head>
            <body><noscript>enable js</noscript><template><p>tpl</p></template>
            <svg><title>icon</title><text>svg text</text></svg>
            <h1>Hello&nbsp;&amp; welcome</h1><p>First   paragraph
            spans lines.</p><div>A div</div><script>alert(1)</script><p>Caf&eacute; &lt;ok&gt;</p></body></html>"#;
        assert_eq!(
            to_text(html),
            "My Page\n\nHello & welcome\n\nFirst paragraph spans lines.\n\nA div\n\nCafé <ok>"
        );
    }

    #[test]
    fn inline_elements_stay_on_the_line() {
        assert_eq!(
            to_text("<p>one <b>two</b><i>three</i> <a href='#'>four</a></p>"),
            "one twothree four"
        );
    }

    #[test]
    fn lists_tables_and_breaks() {
        let html = "<ul><li>a</li><li>b <em>c</em></li></ul>\
            <table><tr><th>k</th><th>v</th></tr><tr><td>1</td><td>2</td></tr></table>\
            <p>x<br>y</p>";
        assert_eq!(to_text(html), "- a\n- b c\n\nk | v\n1 | 2\n\nx\ny");
    }

    #[test]
    fn pre_keeps_its_whitespace() {
        assert_eq!(
            to_text("<p>before</p><pre>fn main() {\n    x();\n}</pre><p>after</p>"),
            "before\n\nfn main() {\n    x();\n}\n\nafter"
        );
    }

    #[test]
    fn broken_markup_and_fragments() {
        assert_eq!(to_text("plain <b>bold"), "plain bold");
        assert_eq!(to_text(""), "");
        assert_eq!(to_text("<div><div><p>deep</div>"), "deep");
    }

    #[test]
    fn script_content_is_not_markup() {
        assert_eq!(
            to_text("<p>a</p><script>if (a<b && c>d) { x = '</p><p>'; }</script><p>b</p>"),
            "a\n\nb"
        );
        assert_eq!(
            to_text("<style>p:after{content:'<b>x</b>'}</style>ok"),
            "ok"
        );
    }

    #[test]
    fn nested_skipped_elements_and_later_titles() {
        assert_eq!(
            to_text("<svg><svg><title>t</title></svg><text>in</text></svg>after"),
            "after"
        );
        assert_eq!(
            to_text("<title>First</title><p>x</p><title>Second</title>y"),
            "First\n\nx\n\ny"
        );
        assert_eq!(to_text("<textarea>&lt;typed&gt;</textarea>z"), "z");
    }

    #[test]
    fn deep_nesting_stays_linear() {
        // 2 MiB of nesting, the fetcher's default cap.
        let n = 2 * 1024 * 1024 / 11;
        let html = format!("{}x{}", "<div>".repeat(n), "</div>".repeat(n));
        let started = std::time::Instant::now();
        assert_eq!(to_text(&html), "x");
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
    }
}
