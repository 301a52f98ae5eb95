//! `${VAR}` expansion of the string values of a parsed provider file.

/// Why a value could not be expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpandError {
    /// `${NAME}` names a variable that is not set (or is not valid Unicode).
    Missing(String),
    /// `${` without a closing `}`, or an empty or invalid name.
    Malformed,
}

/// Replaces every `${NAME}` in `value` by the variable's value from `lookup`; `$${` stands
/// for a literal `${`. Names are letters, digits and `_`.
pub fn expand(value: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, ExpandError> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos..];
        if let Some(tail) = after.strip_prefix("$${") {
            out.push_str("${");
            rest = tail;
        } else if let Some(tail) = after.strip_prefix("${") {
            let end = tail.find('}').ok_or(ExpandError::Malformed)?;
            let name = &tail[..end];
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(ExpandError::Malformed);
            }
            out.push_str(&lookup(name).ok_or_else(|| ExpandError::Missing(name.to_owned()))?);
            rest = &tail[end + 1..];
        } else {
            out.push('$');
            rest = &after[1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Expands every string in `value`, depth first; `on_error` receives the dotted key path.
pub fn expand_tree(
    value: &mut toml::Value,
    path: &mut Vec<String>,
    lookup: &impl Fn(&str) -> Option<String>,
    on_error: &mut impl FnMut(&[String], ExpandError),
) {
    match value {
        toml::Value::String(s) => match expand(s, lookup) {
            Ok(expanded) => *s = expanded,
            Err(e) => on_error(path, e),
        },
        toml::Value::Table(table) => {
            for (key, v) in table.iter_mut() {
                path.push(key.clone());
                expand_tree(v, path, lookup, on_error);
                path.pop();
            }
        }
        toml::Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                path.push(i.to_string());
                expand_tree(v, path, lookup, on_error);
                path.pop();
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "KEY" => Some("k-123".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn replaces_variables_and_keeps_surrounding_text() {
        assert_eq!(expand("a-${KEY}-b", env), Ok("a-k-123-b".into()));
        assert_eq!(expand("${EMPTY}", env), Ok(String::new()));
        assert_eq!(expand("plain $ text", env), Ok("plain $ text".into()));
    }

    #[test]
    fn double_dollar_is_a_literal() {
        assert_eq!(expand("$${KEY}", env), Ok("${KEY}".into()));
    }

    #[test]
    fn missing_and_malformed_are_errors() {
        assert_eq!(
            expand("${NOPE}", env),
            Err(ExpandError::Missing("NOPE".into()))
        );
        assert_eq!(expand("${KEY", env), Err(ExpandError::Malformed));
        assert_eq!(expand("${a-b}", env), Err(ExpandError::Malformed));
    }
}
