//! `cloudgw token new`: a fresh token, printed once, with the `[[tokens]]` block that configures
//! it by its hash.

use cloudgw::api::auth::{new_token, token_hash};
use cloudgw::service::Role;

/// Arguments of `cloudgw token new`.
#[derive(Debug, clap::Args)]
pub struct NewTokenArgs {
    /// The token's name, shown in logs and the audit log (letters, digits, `-`, `_`, `.`).
    #[arg(long)]
    pub name: String,
    /// What it may do: viewer (reads), operator (also changes), admin (also the audit log).
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(["viewer", "operator", "admin"]))]
    pub role: String,
    /// The providers it may see, comma-separated (default: all).
    #[arg(long, value_delimiter = ',')]
    pub providers: Option<Vec<String>>,
}

/// The `token` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum TokenCommand {
    /// Print a new token (once: it is not stored anywhere) and its `[[tokens]]` block for the
    /// gateway's config file (`serve --config`), which holds only the token's SHA-256.
    New(NewTokenArgs),
}

/// Runs a `token` subcommand.
pub fn run(command: TokenCommand) -> Result<(), String> {
    let TokenCommand::New(args) = command;
    let role: Role = args.role.parse()?;
    let name_ok = !args.name.is_empty()
        && args
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !name_ok {
        return Err("--name must be letters, digits, `-`, `_` or `.`".into());
    }
    let token = new_token();
    println!(
        "{}",
        block(&token, &args.name, role, args.providers.as_deref())
    );
    Ok(())
}

/// What `token new` prints: the token, then the block to paste.
fn block(token: &str, name: &str, role: Role, providers: Option<&[String]>) -> String {
    let mut out = format!(
        "# The token (shown only now; give it to the client, e.g. as CLOUDGW_TOKEN):\n{token}\n\n\
         # Add to the gateway's config file (serve --config FILE):\n\
         [[tokens]]\nname = {name:?}\nrole = \"{}\"\n",
        role.as_str()
    );
    if let Some(providers) = providers {
        let list: Vec<String> = providers.iter().map(|p| format!("{p:?}")).collect();
        out.push_str(&format!("providers = [{}]\n", list.join(", ")));
    }
    out.push_str(&format!("hash = \"{}\"", token_hash(token)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_block_parses_as_the_config_file_and_holds_only_the_hash() {
        let token = new_token();
        let printed = block(&token, "ci", Role::Operator, Some(&["gg".to_owned()]));
        let config_part = printed
            .split("serve --config FILE):\n")
            .nth(1)
            .unwrap_or("");
        assert!(!config_part.contains(&token));
        let parsed = cloudgw::config::gateway::GatewayConfig::parse(config_part, &|_| None);
        let tokens = parsed.map(|c| c.tokens).unwrap_or_default();
        assert_eq!(tokens.len(), 1);
        assert_eq!(tokens[0].hash, token_hash(&token));
        assert_eq!(tokens[0].providers.as_deref(), Some(&["gg".to_owned()][..]));
    }
}
