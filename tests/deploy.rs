//! The deployment files in `deploy/` name only real things: every `cloudgw` subcommand and flag
//! they use is one `cloudgw serve --help` lists, every `CLOUDGW_*` variable is one it reads, and
//! the compose file's services and the nginx upstreams agree.

use std::collections::BTreeSet;
use std::process::Command;

fn deploy_file(name: &str) -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/");
    std::fs::read_to_string(format!("{path}{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn serve_help() -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_cloudgw"))
        .args(["serve", "--help"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every `--flag` in `text`.
fn flags(text: &str) -> BTreeSet<String> {
    text.split(|c: char| c.is_whitespace() || c == '"' || c == ',' || c == '[' || c == ']')
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(|w| w.split('=').next().unwrap_or(w).to_owned())
        .collect()
}

/// Every `CLOUDGW_…` name in `text`.
fn variables(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with("CLOUDGW_"))
        .map(str::to_owned)
        .collect()
}

/// The `cloudgw serve` command line of one deploy file (the other commands in it, cargo's and
/// apt's, are not ours).
fn serve_command(name: &str, text: &str) -> String {
    match name {
        "Containerfile" => text.lines().filter(|l| l.starts_with("CMD")).collect(),
        "cloudgw.service" => text
            .lines()
            .filter(|l| l.starts_with("ExecStart="))
            .collect(),
        _ => {
            let mut lines = text.lines().skip_while(|l| l.trim() != "command:").skip(1);
            let mut items = Vec::new();
            for line in lines.by_ref() {
                match line.trim().strip_prefix("- ") {
                    Some(item) => items.push(item),
                    None => break,
                }
            }
            items.join(" ")
        }
    }
}

#[test]
fn deploy_files_use_only_real_flags_and_variables() {
    let help = serve_help();
    let known_flags = flags(&help);
    let known_variables = variables(&help);
    for name in ["Containerfile", "cloudgw.service", "compose.yaml"] {
        let text = deploy_file(name);
        let command = serve_command(name, &text);
        assert!(
            command.contains("serve"),
            "{name} runs cloudgw serve: {command}"
        );
        let used = flags(&command);
        assert!(!used.is_empty(), "{name} uses no flag?");
        for flag in &used {
            assert!(
                known_flags.contains(flag),
                "{name}: `{flag}` is not a flag of cloudgw serve"
            );
        }
        // The variables the file sets for the gateway.
        for variable in variables(&text)
            .into_iter()
            .filter(|v| text.contains(&format!("{v}:")) || text.contains(&format!("{v}=")))
        {
            assert!(
                known_variables.contains(&variable),
                "{name}: `{variable}` is not read by cloudgw serve"
            );
        }
    }
}

#[test]
fn the_load_balancer_points_at_the_composed_replicas() {
    let compose = deploy_file("compose.yaml");
    let nginx = deploy_file("nginx.conf");
    for replica in ["cloudgw-a", "cloudgw-b"] {
        assert!(
            compose.contains(&format!("  {replica}:")),
            "compose has {replica}"
        );
        assert!(
            nginx.contains(&format!("server {replica}:8080")),
            "nginx balances {replica}"
        );
    }
    assert!(
        compose.contains("postgres://"),
        "the replicas share PostgreSQL"
    );
    assert!(nginx.contains("proxy_buffering off"), "SSE is not buffered");
}
