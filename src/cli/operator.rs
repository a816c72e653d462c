//! `babyvax operator create` and `babyvax operator list`: operator accounts of the admin door,
//! so that a fresh install can create its first administrator.
//!
//! The password is read from standard input (one line), never from an argument: arguments are
//! visible to every user of the machine and land in shell histories.

use std::io::BufRead;

use anyhow::{Context, bail};
use clap::Subcommand;

use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::service::staff::accounts::{self, NewOperator};
use crate::startup;

#[derive(Subcommand)]
pub enum OperatorCommand {
    /// Create an operator account, e.g. the first administrator:
    /// `printf '%s\n' "$PASSWORD" | babyvax operator create --username admin --role admin --password-stdin`
    Create {
        /// 3-32 ASCII letters, digits, '.', '_' or '-' (stored lowercase).
        #[arg(long)]
        username: String,
        /// admin, operator, support or analyst.
        #[arg(long)]
        role: String,
        /// Read the password (10-128 characters) from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the operator accounts (never their password hashes).
    List,
}

pub async fn run(settings: Settings, command: OperatorCommand) -> anyhow::Result<()> {
    match command {
        OperatorCommand::Create {
            username,
            role,
            password_stdin,
        } => {
            if !password_stdin {
                bail!(
                    "the password is read from standard input: pass --password-stdin and pipe it in \
                     (printf '%s\\n' \"$PASSWORD\" | babyvax operator create ... --password-stdin)"
                );
            }
            let password = read_password(std::io::stdin().lock())?;
            let db = startup::connect_database(&settings.database_url).await?;
            startup::migrate(&db).await?;
            let input = NewOperator {
                username,
                password,
                role,
            };
            let created = accounts::create_operator(&db, &input, None, SystemClock.now()).await?;
            println!(
                "operator {} created: {} ({})",
                created.id,
                created.username,
                created.role.as_str()
            );
        }
        OperatorCommand::List => {
            let db = startup::connect_database(&settings.database_url).await?;
            startup::migrate(&db).await?;
            let operators = accounts::list_operators(&db).await?;
            if operators.is_empty() {
                println!("no operators yet: create one with `babyvax operator create`");
            }
            for operator in operators {
                println!(
                    "{:<6} {:<32} {:<9} {:<9} created {}  last login {}",
                    operator.id,
                    operator.username,
                    operator.role.as_str(),
                    if operator.disabled {
                        "disabled"
                    } else {
                        "active"
                    },
                    operator.created_at.format("%Y-%m-%d %H:%M UTC"),
                    operator.last_login_at.map_or_else(
                        || "never".to_owned(),
                        |t| t.format("%Y-%m-%d %H:%M UTC").to_string()
                    ),
                );
            }
        }
    }
    Ok(())
}

/// The first line of `input`, without its line ending; nothing else is trimmed (spaces may be
/// part of a password).
fn read_password(mut input: impl BufRead) -> anyhow::Result<String> {
    let mut line = String::new();
    input
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let password = line
        .strip_suffix('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .unwrap_or(&line);
    if password.is_empty() {
        bail!("no password on standard input (pipe one line in, with --password-stdin)");
    }
    Ok(password.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_the_first_line_without_its_ending() {
        assert_eq!(
            read_password(&b"  spaced secret \r\nnext"[..]).unwrap(),
            "  spaced secret "
        );
        assert_eq!(read_password(&b"no newline"[..]).unwrap(), "no newline");
        assert!(read_password(&b""[..]).is_err());
        assert!(read_password(&b"\n"[..]).is_err());
    }
}
