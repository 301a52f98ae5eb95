//! The rules file: which requests get which fault, and when.
//!
//! ```toml
//! seed = 7                      # optional (default 0): makes `probability` reproducible
//!
//! [[rule]]
//! name   = "lists-hang"         # optional (default "rule-<n>", 1-based): names the counters
//! method = "GET"                # optional: any method when absent
//! path   = "/api/grid/server/"  # optional prefix of the request path (default "/": every path)
//! query  = "format=json"        # optional substring of the raw query string
//! body   = "Action=RunInstances" # optional substring of the request body (buffered, ≤ 1 MiB)
//! first  = 2                    # optional: only the first 2 matching requests
//! after  = 1                    # optional: only after the first matching request
//! every  = 3                    # optional: only every 3rd matching request (3rd, 6th, …)
//! probability = 0.5             # optional: then only with this probability
//! fault  = { kind = "hang" }
//! ```
//!
//! Rules are tried in file order. A rule *matches* a request when method, path, query and body
//! match; it then counts the request (its `matched` counter, numbered from 1) and *fires* when
//! every condition it has (`first`, `after`, `every`, `probability`) holds. The first rule that
//! fires decides the request; a rule that matches without firing lets the later rules look.
//! A request no rule fires for is forwarded unchanged.

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// Longest request body buffered to match a rule's `body`.
pub const BODY_MATCH_LIMIT: usize = 1024 * 1024;

/// Default of [`Fault::Hang`]'s `max_secs`: the connection is closed without an answer after it.
pub const DEFAULT_HANG_MAX_SECS: u64 = 600;

/// Default of [`Fault::RateLimit`]'s `retry_after`.
pub const DEFAULT_RETRY_AFTER_SECS: u64 = 1;

/// A parsed and checked rules file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// Seed of the random draws of `probability`.
    #[serde(default)]
    pub seed: u64,
    /// The rules, in the order they are tried.
    #[serde(default, rename = "rule")]
    pub rules: Vec<Rule>,
}

/// One rule: what it matches, when it fires and what it does.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Names the rule's counters (default `rule-<n>`, 1-based).
    #[serde(default)]
    pub name: String,
    /// HTTP method, compared case-insensitively; any when absent.
    pub method: Option<String>,
    /// Prefix of the request path (without the query); `/` matches every path.
    #[serde(default = "root")]
    pub path: String,
    /// Substring of the raw query string (as sent, not decoded).
    pub query: Option<String>,
    /// Substring of the request body (the EC2 Query API names its action there).
    pub body: Option<String>,
    /// Fires only for the first N matching requests.
    pub first: Option<u64>,
    /// Fires only after N matching requests have gone by.
    pub after: Option<u64>,
    /// Fires only for every Nth matching request.
    pub every: Option<u64>,
    /// Fires only with this probability (0 to 1), drawn from the file's `seed`.
    pub probability: Option<f64>,
    /// What happens to a request the rule fires for.
    pub fault: Fault,
}

fn root() -> String {
    "/".to_owned()
}

/// What a rule does to a request.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// Waits `ms` milliseconds, then forwards the request.
    Latency {
        /// Milliseconds to wait.
        ms: u64,
    },
    /// Never answers: the request is not forwarded and the connection stays open until the
    /// client gives up (or `max_secs` pass, then it is closed without an answer).
    Hang {
        /// Longest hang in seconds (default 600).
        #[serde(default = "default_hang_max_secs")]
        max_secs: u64,
    },
    /// Answers `status` with `body` without forwarding.
    Status {
        /// HTTP status, 400–599.
        status: u16,
        /// Body (default `injected fault`).
        #[serde(default = "default_status_body")]
        body: String,
        /// Content type of the body (default `text/plain`).
        #[serde(default = "default_content_type")]
        content_type: String,
    },
    /// Answers `429 Too Many Requests` with `Retry-After: retry_after` without forwarding.
    RateLimit {
        /// Seconds sent as `Retry-After` (default 1).
        #[serde(default = "default_retry_after")]
        retry_after: u64,
        /// Body (default `injected rate limit`).
        #[serde(default = "default_rate_limit_body")]
        body: String,
    },
    /// Closes the connection without an answer; the request is not forwarded.
    Reset,
    /// Forwards, then sends the upstream's status and headers with its full `Content-Length`
    /// but only the first `keep_bytes` of the body (default half), and closes the connection.
    Truncate {
        /// Bytes of the body that are sent (less than the body's length).
        keep_bytes: Option<usize>,
    },
    /// Forwards, then replaces the body with bytes that are neither JSON nor OCCI nor XML
    /// (a NUL, invalid UTF-8), keeping the upstream's status and content type.
    Garbage,
}

fn default_hang_max_secs() -> u64 {
    DEFAULT_HANG_MAX_SECS
}
fn default_status_body() -> String {
    "injected fault".to_owned()
}
fn default_rate_limit_body() -> String {
    "injected rate limit".to_owned()
}
fn default_content_type() -> String {
    "text/plain".to_owned()
}
fn default_retry_after() -> u64 {
    DEFAULT_RETRY_AFTER_SECS
}

impl Fault {
    /// The fault's `kind` as written in the rules file.
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::Latency { .. } => "latency",
            Fault::Hang { .. } => "hang",
            Fault::Status { .. } => "status",
            Fault::RateLimit { .. } => "rate_limit",
            Fault::Reset => "reset",
            Fault::Truncate { .. } => "truncate",
            Fault::Garbage => "garbage",
        }
    }
}

/// A rules file that cannot be used: where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesError {
    /// The file (or the name the text was given).
    pub file: String,
    /// 1-based line, where it could be found.
    pub line: Option<usize>,
    /// The field, as a path (`rule[2].fault.status`), where one is to blame.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for RulesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for RulesError {}

impl Rules {
    /// No rules: every request is forwarded unchanged.
    pub fn none() -> Rules {
        Rules::default()
    }

    /// Reads and checks the rules file at `path`.
    pub fn load(path: &Path) -> Result<Rules, RulesError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| RulesError {
            file: file.clone(),
            line: None,
            field: None,
            message: format!("cannot read the rules file: {e}"),
        })?;
        Rules::parse(&file, &text)
    }

    /// Parses and checks rules written as TOML; `file` names them in errors.
    pub fn parse(file: &str, text: &str) -> Result<Rules, RulesError> {
        let error = |line, field: Option<String>, message: String| RulesError {
            file: file.to_owned(),
            line,
            field,
            message,
        };
        let de = toml::de::Deserializer::parse(text).map_err(|e| {
            let line = e.span().map(|s| line_of_offset(text, s.start));
            error(line, None, e.message().to_owned())
        })?;
        let mut rules: Rules = serde_path_to_error::deserialize(de).map_err(|e| {
            let field = e.path().to_string();
            let inner = e.into_inner();
            let line = inner.span().map(|s| line_of_offset(text, s.start));
            error(line, Some(field), inner.message().to_owned())
        })?;
        for (i, rule) in rules.rules.iter_mut().enumerate() {
            if rule.name.is_empty() {
                rule.name = format!("rule-{}", i + 1);
            }
            if let Err((field, message)) = rule.check() {
                let line = rule_line(text, i);
                return Err(error(line, Some(format!("rule[{i}].{field}")), message));
            }
        }
        let mut names: Vec<&str> = rules.rules.iter().map(|r| r.name.as_str()).collect();
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            let name = w[0].to_owned();
            let i = rules
                .rules
                .iter()
                .rposition(|r| r.name == name)
                .unwrap_or(0);
            return Err(error(
                rule_line(text, i),
                Some(format!("rule[{i}].name")),
                format!("two rules are named {name:?}; names must be unique"),
            ));
        }
        Ok(rules)
    }

    /// Whether a rule looks at request bodies (then bodies are buffered to match).
    pub fn needs_body(&self) -> bool {
        self.rules.iter().any(|r| r.body.is_some())
    }
}

impl Rule {
    /// What deserialization cannot check: ranges and combinations. Returns field and message.
    fn check(&self) -> Result<(), (&'static str, String)> {
        if !self.path.starts_with('/') {
            return Err((
                "path",
                "must start with / (a prefix of the request path)".into(),
            ));
        }
        if let Some(method) = &self.method
            && (method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()))
        {
            return Err((
                "method",
                "must be an HTTP method such as GET or POST".into(),
            ));
        }
        if self.every == Some(0) {
            return Err(("every", "must be at least 1".into()));
        }
        if self.first == Some(0) {
            return Err(("first", "must be at least 1 (0 would never fire)".into()));
        }
        if let (Some(first), Some(after)) = (self.first, self.after)
            && after >= first
        {
            return Err((
                "after",
                format!("must be less than first = {first}, or the rule never fires"),
            ));
        }
        if let Some(p) = self.probability
            && !(0.0..=1.0).contains(&p)
        {
            return Err(("probability", "must be between 0 and 1".into()));
        }
        match &self.fault {
            Fault::Status { status, .. } if !(400..=599).contains(status) => {
                Err(("fault.status", "must be an error status, 400 to 599".into()))
            }
            Fault::Status { content_type, .. }
                if http::HeaderValue::from_str(content_type).is_err() =>
            {
                Err(("fault.content_type", "is not a valid header value".into()))
            }
            Fault::Hang { max_secs: 0 } => Err(("fault.max_secs", "must be at least 1".into())),
            Fault::Latency { ms } if *ms > 3_600_000 => {
                Err(("fault.ms", "must be at most 3600000 (an hour)".into()))
            }
            _ => Ok(()),
        }
    }

    /// Whether the request is one this rule is about (method, path prefix, query, body).
    pub fn matches(&self, method: &str, path: &str, query: &str, body: Option<&[u8]>) -> bool {
        self.method
            .as_ref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && path.starts_with(&self.path)
            && self
                .query
                .as_ref()
                .is_none_or(|q| query.contains(q.as_str()))
            && self
                .body
                .as_ref()
                .is_none_or(|b| body.is_some_and(|body| contains(body, b.as_bytes())))
    }

    /// Whether the `n`th matching request (1-based) passes the count conditions.
    pub fn counts_fire(&self, n: u64) -> bool {
        self.first.is_none_or(|first| n <= first)
            && self.after.is_none_or(|after| n > after)
            && self.every.is_none_or(|every| n.is_multiple_of(every))
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

fn line_of_offset(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The line of the `i`th (0-based) `[[rule]]` header, to point a reader at a rule.
fn rule_line(text: &str, i: usize) -> Option<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with("[[rule]]"))
        .nth(i)
        .map(|(n, _)| n + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Rules, RulesError> {
        Rules::parse("rules.toml", text)
    }

    #[test]
    fn a_full_file_parses_with_defaults() {
        let rules = parse(
            r#"seed = 9
[[rule]]
method = "get"
path = "/api/grid/"
first = 2
fault = { kind = "hang" }

[[rule]]
name = "busy"
probability = 0.5
fault = { kind = "status", status = 503 }

[[rule]]
fault = { kind = "rate_limit", retry_after = 30 }
"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rules.seed, 9);
        assert_eq!(rules.rules.len(), 3);
        assert_eq!(rules.rules[0].name, "rule-1");
        assert_eq!(rules.rules[0].fault, Fault::Hang { max_secs: 600 });
        assert_eq!(rules.rules[1].name, "busy");
        assert_eq!(rules.rules[1].path, "/");
        assert!(matches!(
            &rules.rules[1].fault,
            Fault::Status { status: 503, body, content_type } if body == "injected fault" && content_type == "text/plain"
        ));
        assert_eq!(
            rules.rules[2].fault,
            Fault::RateLimit {
                retry_after: 30,
                body: "injected rate limit".into()
            }
        );
    }

    #[test]
    fn unknown_field_names_file_line_and_field() {
        let err = parse("[[rule]]\npath = \"/\"\nfirts = 2\nfault = { kind = \"reset\" }\n")
            .err()
            .unwrap_or_else(|| panic!("accepted"));
        assert_eq!(err.file, "rules.toml");
        assert_eq!(err.line, Some(3), "{err}");
        assert_eq!(err.field.as_deref(), Some("rule[0].firts"), "{err}");
        assert!(err.to_string().contains("unknown field `firts`"), "{err}");
    }

    #[test]
    fn unknown_fault_kind_and_fault_field_are_named() {
        let err = parse("[[rule]]\nfault = { kind = \"explode\" }\n")
            .err()
            .unwrap_or_else(|| panic!("accepted"));
        assert_eq!(err.line, Some(2), "{err}");
        assert!(err.to_string().contains("explode"), "{err}");
        let err = parse("[[rule]]\nfault = { kind = \"status\", status = 503, colour = 1 }\n")
            .err()
            .unwrap_or_else(|| panic!("accepted"));
        assert!(err.to_string().contains("colour"), "{err}");
    }

    #[test]
    fn range_errors_name_the_rule_line_and_field() {
        let cases = [
            ("probability = 1.5", "rule[1].probability"),
            ("every = 0", "rule[1].every"),
            ("first = 2\nafter = 2", "rule[1].after"),
            ("path = \"api\"", "rule[1].path"),
            ("method = \"GE T\"", "rule[1].method"),
        ];
        for (extra, field) in cases {
            let text = format!(
                "[[rule]]\nfault = {{ kind = \"reset\" }}\n\n[[rule]]\n{extra}\nfault = {{ kind = \"reset\" }}\n"
            );
            let err = parse(&text)
                .err()
                .unwrap_or_else(|| panic!("accepted {extra}"));
            assert_eq!(err.field.as_deref(), Some(field), "{err}");
            assert_eq!(err.line, Some(4), "{err}");
        }
        let err = parse("[[rule]]\nfault = { kind = \"status\", status = 200 }\n")
            .err()
            .unwrap_or_else(|| panic!("accepted"));
        assert_eq!(err.field.as_deref(), Some("rule[0].fault.status"), "{err}");
    }

    #[test]
    fn syntax_errors_have_a_line_and_duplicate_names_are_refused() {
        let err = parse("seed = 1\n[[rule]\n")
            .err()
            .unwrap_or_else(|| panic!("accepted"));
        assert_eq!(err.line, Some(2), "{err}");
        let err = parse(
            "[[rule]]\nname = \"a\"\nfault = { kind = \"reset\" }\n[[rule]]\nname = \"a\"\nfault = { kind = \"garbage\" }\n",
        )
        .err()
        .unwrap_or_else(|| panic!("accepted"));
        assert_eq!(err.field.as_deref(), Some("rule[1].name"), "{err}");
        assert_eq!(err.line, Some(4), "{err}");
    }

    #[test]
    fn matching_uses_method_path_prefix_query_and_body() {
        let rules = parse(
            "[[rule]]\nmethod = \"POST\"\npath = \"/api/grid/server/\"\nquery = \"format=json\"\nbody = \"Action=Run\"\nfault = { kind = \"reset\" }\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let rule = &rules.rules[0];
        let body = Some(&b"Action=RunInstances&x=1"[..]);
        assert!(rule.matches("post", "/api/grid/server/list", "a=1&format=json", body));
        assert!(!rule.matches("GET", "/api/grid/server/list", "format=json", body));
        assert!(!rule.matches("POST", "/api/grid/image/list", "format=json", body));
        assert!(!rule.matches("POST", "/api/grid/server/list", "format=xml", body));
        assert!(!rule.matches(
            "POST",
            "/api/grid/server/list",
            "format=json",
            Some(b"Action=Describe")
        ));
        assert!(!rule.matches("POST", "/api/grid/server/list", "format=json", None));
        assert!(rules.needs_body());
    }

    #[test]
    fn count_conditions_combine() {
        let rule = |first, after, every| Rule {
            name: "r".into(),
            method: None,
            path: "/".into(),
            query: None,
            body: None,
            first,
            after,
            every,
            probability: None,
            fault: Fault::Reset,
        };
        let fired = |r: &Rule| (1..=9).filter(|n| r.counts_fire(*n)).collect::<Vec<u64>>();
        assert_eq!(fired(&rule(Some(2), None, None)), [1, 2]);
        assert_eq!(fired(&rule(None, Some(7), None)), [8, 9]);
        assert_eq!(fired(&rule(None, None, Some(3))), [3, 6, 9]);
        assert_eq!(fired(&rule(Some(6), Some(1), Some(2))), [2, 4, 6]);
    }
}
