//! `text/uri-list` (RFC 2483): one URI a line; lines starting with `#` are comments (pyssf adds
//! `# uri:`), blank lines are ignored.

/// The URIs of a uri-list body.
pub(crate) fn parse(body: &str) -> Vec<String> {
    body.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// A uri-list body: one URI a line, CRLF-terminated as RFC 2483 asks.
pub(crate) fn render(locations: &[String]) -> String {
    locations.iter().map(|l| format!("{l}\r\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_blank_lines_are_skipped() {
        let body = "# uri: /compute/\r\n/compute/1\r\n\r\nhttp://h/compute/2\n";
        assert_eq!(parse(body), ["/compute/1", "http://h/compute/2"]);
        assert_eq!(parse(&render(&parse(body))), parse(body));
    }
}
