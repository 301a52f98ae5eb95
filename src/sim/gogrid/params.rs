//! Request parameters: the query string and a form body merged, because clients differ (libcloud
//! POSTs with everything in the query string, jclouds/fog/Deltacloud GET). Repeated keys are kept.

use super::error::SimError;

/// All parameters of one request, query first, then body, in the order sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Merges `query` and a form `body`. A body is read as a form when its content type is
    /// `application/x-www-form-urlencoded` or absent; any other non-empty body is refused so a
    /// client sending JSON learns why its parameters were not seen.
    pub fn parse(
        query: Option<&str>,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<Params, SimError> {
        let mut pairs: Vec<(String, String)> = match query {
            Some(q) => serde_urlencoded::from_str(q)
                .map_err(|e| SimError::bad_input(format!("Malformed query string: {e}")))?,
            None => Vec::new(),
        };
        if !body.is_empty() {
            let is_form = content_type.is_none_or(|ct| {
                ct.trim()
                    .to_ascii_lowercase()
                    .starts_with("application/x-www-form-urlencoded")
            });
            if !is_form {
                return Err(SimError::bad_input(
                    "Parameters must be sent in the query string or as an \
                     application/x-www-form-urlencoded body",
                ));
            }
            let form: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
                .map_err(|e| SimError::bad_input(format!("Malformed form body: {e}")))?;
            pairs.extend(form);
        }
        Ok(Params { pairs })
    }

    /// The first value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `key`, in order.
    pub fn all(&self, key: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_and_form_body_are_merged_query_first() {
        let p = Params::parse(
            Some("api_key=k&name=a"),
            Some("application/x-www-form-urlencoded; charset=UTF-8"),
            b"name=b&power=stop",
        )
        .unwrap();
        assert_eq!(p.get("api_key"), Some("k"));
        assert_eq!(p.get("name"), Some("a"));
        assert_eq!(p.all("name"), ["a", "b"]);
        assert_eq!(p.get("power"), Some("stop"));
    }

    #[test]
    fn repeated_query_params_and_percent_encoding_are_kept() {
        let p = Params::parse(Some("name=a&name=b%20c&name=d+e"), None, b"").unwrap();
        assert_eq!(p.all("name"), ["a", "b c", "d e"]);
    }

    #[test]
    fn body_without_content_type_is_read_as_a_form() {
        let p = Params::parse(None, None, b"id=7").unwrap();
        assert_eq!(p.get("id"), Some("7"));
    }

    #[test]
    fn empty_body_with_any_content_type_is_fine_but_json_body_is_refused() {
        assert!(Params::parse(Some("a=1"), Some("application/json"), b"").is_ok());
        let err = Params::parse(None, Some("application/json"), b"{\"a\":1}").unwrap_err();
        assert!(err.message.contains("x-www-form-urlencoded"));
    }
}
