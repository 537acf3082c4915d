//! Reading variables one by one, collecting one error line per bad variable.

/// Reads through a lookup function; empty values count as unset.
pub struct Reader<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    pub errors: Vec<String>,
}

impl<'a> Reader<'a> {
    pub fn new(lookup: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Reader {
            lookup,
            errors: Vec::new(),
        }
    }

    /// The trimmed value, or `None` when unset or blank.
    pub fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    /// The value parsed by `parse`, or `default` when unset; a value that
    /// does not parse is reported as `NAME: <rule> (got "…")`.
    pub fn parse<T>(
        &mut self,
        name: &str,
        default: T,
        rule: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> T {
        let Some(value) = self.get(name) else {
            return default;
        };
        match parse(&value) {
            Some(v) => v,
            None => {
                self.errors.push(format!("{name}: {rule} (got {value:?})"));
                default
            }
        }
    }

    /// `true|false|1|0`.
    pub fn flag(&mut self, name: &str, default: bool) -> bool {
        self.parse(name, default, "must be true, false, 1 or 0", |v| match v {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        })
    }

    /// A positive integer.
    pub fn positive(&mut self, name: &str, default: u64) -> u64 {
        self.parse(name, default, "must be a positive integer", |v| {
            v.parse::<u64>().ok().filter(|n| *n > 0)
        })
    }

    /// An http(s) URL, without a trailing slash.
    pub fn url(&mut self, name: &str, default: &str) -> String {
        self.parse(
            name,
            default.to_string(),
            "must be an http:// or https:// URL",
            |v| {
                (v.starts_with("http://") || v.starts_with("https://"))
                    .then(|| v.trim_end_matches('/').to_string())
            },
        )
    }

    /// A comma-separated list, entries trimmed, empty ones dropped.
    pub fn list(&self, name: &str) -> Option<Vec<String>> {
        self.get(name).map(|list| {
            list.split(',')
                .map(str::trim)
                .filter(|m| !m.is_empty())
                .map(String::from)
                .collect()
        })
    }
}
