//! Provider files: loading, `${VAR}` expansion, validation, and secrets.
//!
//! Each `*.toml` file in the providers directory is one account at one cloud; its id is the
//! file stem. A file is parsed to TOML, its strings are `${VAR}`-expanded from the environment,
//! and `driver` picks a row of the driver table ([`crate::drivers::DRIVERS`]), which
//! deserializes the rest (unknown fields rejected) and validates it, once. Every problem is
//! reported with the file, line (where it can be found) and field.

mod expand;
pub mod gateway;
mod secret;

pub use secret::{REDACTED, Secret, redact_known_secrets};

use std::any::Any;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::drivers::DriverSettings;

/// A loaded provider file.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    /// Provider id (the file stem).
    pub id: String,
    /// The file it came from.
    pub path: PathBuf,
    /// The driver's name (`driver = "…"`, a row of [`crate::drivers::DRIVERS`]).
    pub driver: &'static str,
    /// The driver's settings, validated.
    pub settings: Arc<dyn DriverSettings>,
    /// The `[layers]` table: retry, breaker, limit, coalescing and timeout settings.
    pub layers: crate::layers::LayerSettings,
    /// `watch_interval_secs`: how often the watch lists the provider; `None` (0) turns it off.
    pub watch_interval: Option<std::time::Duration>,
}

impl ProviderConfig {
    /// The settings as the driver's own config type (`AwsConfig`, …); `None` for another
    /// driver's.
    pub fn settings_as<T: Any>(&self) -> Option<&T> {
        let settings: &dyn Any = self.settings.as_ref();
        settings.downcast_ref()
    }
}

/// What is wrong with one field of a provider file's settings, before the file and line are
/// known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's path (`["simulator", "power_delay_secs"]`); empty for the whole file.
    pub field: Vec<String>,
    /// What is wrong.
    pub message: String,
}

/// A problem in one provider file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line, where it could be found.
    pub line: Option<usize>,
    /// Dotted field path, where the problem is in one field.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

/// All problems found in a providers directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Loads every `*.toml` file in `dir` (sorted by name), reading `${VAR}` from the process
/// environment. Any problem in any file fails the whole load, listing all problems.
pub fn load_providers(dir: &Path) -> Result<Vec<ProviderConfig>, ConfigErrors> {
    load_providers_with(dir, &|name| std::env::var(name).ok())
}

/// [`load_providers`] with an explicit variable lookup (for tests).
pub fn load_providers_with(
    dir: &Path,
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<Vec<ProviderConfig>, ConfigErrors> {
    let files = provider_files(dir).map_err(|e| ConfigErrors(vec![e]))?;
    let mut configs = Vec::new();
    let mut errors = Vec::new();
    for path in files {
        match std::fs::read_to_string(&path) {
            Ok(text) => match parse_provider(&path, &text, lookup) {
                Ok(config) => configs.push(config),
                Err(mut e) => errors.append(&mut e),
            },
            Err(e) => errors.push(file_error(&path, format!("cannot read: {e}"))),
        }
    }
    if errors.is_empty() {
        Ok(configs)
    } else {
        Err(ConfigErrors(errors))
    }
}

fn provider_files(dir: &Path) -> Result<Vec<PathBuf>, ConfigError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| file_error(dir, format!("cannot read the providers directory: {e}")))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|ext| ext == "toml") && p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

/// Parses one provider file's text; the id is the file stem.
pub fn parse_provider(
    path: &Path,
    text: &str,
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<ProviderConfig, Vec<ConfigError>> {
    let id = provider_id(path).map_err(|e| vec![e])?;
    let mut value: toml::Value = toml::from_str::<toml::Table>(text)
        .map(toml::Value::Table)
        .map_err(|e| vec![toml_syntax_error(path, text, &e)])?;
    let mut errors = Vec::new();
    expand::expand_tree(&mut value, &mut Vec::new(), lookup, &mut |field, err| {
        errors.push(field_error(path, text, field, expand_message(err)));
    });
    if !errors.is_empty() {
        return Err(errors);
    }
    let layers =
        take_layers(&mut value).map_err(|e| vec![field_error(path, text, &e.field, e.message)])?;
    let watch_interval = take_watch_interval(&mut value)
        .map_err(|e| vec![field_error(path, text, &e.field, e.message)])?;
    let (driver, settings) = deserialize_driver(value)
        .map_err(|e| vec![field_error(path, text, &e.field, e.message)])?;
    Ok(ProviderConfig {
        id,
        path: path.to_owned(),
        driver,
        settings,
        layers,
        watch_interval,
    })
}

/// Takes `watch_interval_secs` out of the file (every driver has it): whole seconds, 0 for no
/// watch, [`crate::watch::DEFAULT_INTERVAL`] when absent.
fn take_watch_interval(value: &mut toml::Value) -> Result<Option<std::time::Duration>, FieldError> {
    let field = "watch_interval_secs";
    let Some(raw) = value.as_table_mut().and_then(|t| t.remove(field)) else {
        return Ok(Some(crate::watch::DEFAULT_INTERVAL));
    };
    match raw.as_integer().map(u64::try_from) {
        Some(Ok(0)) => Ok(None),
        Some(Ok(secs)) => Ok(Some(std::time::Duration::from_secs(secs))),
        _ => Err(FieldError {
            field: vec![field.to_owned()],
            message: "must be a whole number of seconds, 0 to turn the watch off".into(),
        }),
    }
}

/// Takes the `[layers]` table out of the file (every driver has one) and reads it, so the
/// driver's own settings never see it.
fn take_layers(value: &mut toml::Value) -> Result<crate::layers::LayerSettings, FieldError> {
    let in_layers = |mut e: FieldError| {
        e.field.insert(0, "layers".to_owned());
        e
    };
    let Some(table) = value.as_table_mut().and_then(|t| t.remove("layers")) else {
        return Ok(crate::layers::LayerSettings::default());
    };
    let layers: crate::layers::LayerSettings = deserialize_settings(table).map_err(in_layers)?;
    layers.validate().map_err(|(field, message)| {
        in_layers(FieldError {
            field: vec![field.to_owned()],
            message,
        })
    })?;
    Ok(layers)
}

/// Reads `driver`, and the rest as that driver's settings through its row of the driver table
/// (which validates them).
fn deserialize_driver(
    value: toml::Value,
) -> Result<(&'static str, Arc<dyn DriverSettings>), FieldError> {
    let problem = |field: &[&str], message: String| FieldError {
        field: field.iter().map(|f| (*f).to_owned()).collect(),
        message,
    };
    let toml::Value::Table(mut table) = value else {
        return Err(problem(&[], "expected a table".into()));
    };
    let driver = match table.remove("driver") {
        Some(toml::Value::String(name)) => name,
        Some(_) => return Err(problem(&["driver"], "must be a string".into())),
        None => {
            return Err(problem(
                &["driver"],
                "missing: say which driver, e.g. driver = \"gogrid\"".into(),
            ));
        }
    };
    let row = crate::drivers::find(&driver).ok_or_else(|| {
        problem(
            &["driver"],
            format!(
                "unknown driver `{driver}`, expected one of {}",
                crate::drivers::names()
            ),
        )
    })?;
    let settings = row.parse(toml::Value::Table(table))?;
    Ok((row.name, settings))
}

/// Deserializes a driver's settings, naming the field of any problem.
pub(crate) fn deserialize_settings<T: serde::de::DeserializeOwned>(
    value: toml::Value,
) -> Result<T, FieldError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let mut field: Vec<String> = e
            .path()
            .iter()
            .map(|seg| seg.to_string())
            .filter(|s| s != "?")
            .collect();
        let message = e.into_inner().message().to_owned();
        // Depending on the deserializer, an unknown field is reported at itself or its parent.
        let unknown = message
            .strip_prefix("unknown field `")
            .and_then(|m| m.split('`').next());
        if let Some(name) = unknown.filter(|name| field.last().map(String::as_str) != Some(name)) {
            field.push(name.to_owned());
        }
        FieldError { field, message }
    })
}

fn provider_id(path: &Path) -> Result<String, ConfigError> {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    let valid = !stem.is_empty()
        && stem.len() <= 64
        && stem
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if valid {
        Ok(stem.to_owned())
    } else {
        Err(file_error(
            path,
            "the file name is the provider id: use 1-64 characters of a-z, 0-9, '-' and '_'".into(),
        ))
    }
}

fn expand_message(err: expand::ExpandError) -> String {
    match err {
        expand::ExpandError::Missing(name) => format!("environment variable {name} is not set"),
        expand::ExpandError::Malformed => {
            "malformed ${VAR} reference (names are letters, digits and _; write $${ for a literal ${)"
                .to_owned()
        }
    }
}

fn file_error(path: &Path, message: String) -> ConfigError {
    ConfigError {
        path: path.to_owned(),
        line: None,
        field: None,
        message,
    }
}

fn toml_syntax_error(path: &Path, text: &str, err: &toml::de::Error) -> ConfigError {
    let line = err.span().map(|span| line_of_offset(text, span.start));
    ConfigError {
        path: path.to_owned(),
        line,
        field: None,
        message: err.message().to_owned(),
    }
}

fn field_error(path: &Path, text: &str, field: &[String], message: String) -> ConfigError {
    let name = (!field.is_empty()).then(|| field.join("."));
    let line = field.last().and_then(|key| line_of_key(text, key));
    ConfigError {
        path: path.to_owned(),
        line,
        field: name,
        message,
    }
}

fn line_of_offset(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The first line that assigns `key` (`key = …`), to point a reader at the field.
fn line_of_key(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|line| {
            let line = line.trim_start();
            line.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(name: &str) -> Option<String> {
        match name {
            "GG_KEY" => Some("key-1".into()),
            "GG_SECRET" => Some("s3cret-value".into()),
            _ => None,
        }
    }

    fn parse(name: &str, text: &str) -> Result<ProviderConfig, Vec<ConfigError>> {
        parse_provider(Path::new(name), text, &vars)
    }

    #[test]
    fn id_is_the_file_stem_and_variables_are_expanded() {
        let text = "driver = \"gogrid\"\nendpoint = \"http://x/api\"\napi_key = \"${GG_KEY}\"\nshared_secret = \"${GG_SECRET}\"\n";
        let config = parse("providers/gg-east.toml", text).map_err(|e| e[0].to_string());
        let config = config.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((config.id.as_str(), config.driver), ("gg-east", "gogrid"));
        let Some(gg) = config.settings_as::<crate::drivers::gogrid::GoGridConfig>() else {
            panic!("not a gogrid config")
        };
        assert_eq!(gg.api_key.as_ref().map(|s| s.expose()), Some("key-1"));
        assert_eq!(
            gg.shared_secret.as_ref().map(|s| s.expose()),
            Some("s3cret-value")
        );
    }

    #[test]
    fn unknown_field_names_file_line_and_field() {
        let text = "driver = \"gogrid\"\nsimulate = true\ncolour = \"blue\"\n";
        let errors = parse("p/a.toml", text).err().unwrap_or_default();
        assert_eq!(errors.len(), 1);
        let msg = errors[0].to_string();
        assert!(
            msg.starts_with("p/a.toml:3: field `colour`: unknown field `colour`"),
            "{msg}"
        );
    }

    #[test]
    fn missing_variable_names_the_field_and_never_the_other_values() {
        let text =
            "driver = \"gogrid\"\napi_key = \"${GG_KEY}\"\nshared_secret = \"${MISSING_SECRET}\"\n";
        let errors = parse("p/b.toml", text).err().unwrap_or_default();
        let msg = errors[0].to_string();
        assert_eq!(
            msg,
            "p/b.toml:3: field `shared_secret`: environment variable MISSING_SECRET is not set"
        );
    }

    #[test]
    fn bad_value_type_and_unknown_driver_are_reported() {
        let errors = parse("p/c.toml", "driver = \"gogrid\"\nsimulate = \"yes\"\n")
            .err()
            .unwrap_or_default();
        assert_eq!(errors[0].field.as_deref(), Some("simulate"));
        assert_eq!(errors[0].line, Some(2));
        let errors = parse("p/d.toml", "driver = \"azure\"\n")
            .err()
            .unwrap_or_default();
        assert!(
            errors[0].message.contains("unknown driver `azure`"),
            "{}",
            errors[0]
        );
    }

    #[test]
    fn missing_credentials_without_simulate_name_the_field() {
        let errors = parse(
            "p/f.toml",
            "driver = \"gogrid\"\nendpoint = \"http://x/api\"\n",
        )
        .err()
        .unwrap_or_default();
        assert_eq!(errors[0].field.as_deref(), Some("api_key"));
        assert!(
            errors[0]
                .message
                .contains("required unless simulate = true")
        );
    }

    #[test]
    fn syntax_error_has_a_line() {
        let errors = parse("p/e.toml", "driver = \"gogrid\"\nsimulate = \n")
            .err()
            .unwrap_or_default();
        assert_eq!(errors[0].line, Some(2), "{}", errors[0]);
    }

    #[test]
    fn bad_file_stem_is_rejected() {
        let errors = parse("p/Has Space.toml", "driver = \"gogrid\"\n")
            .err()
            .unwrap_or_default();
        assert!(errors[0].message.contains("provider id"));
    }
}
