//! `qbound token create --name N --role read|write|worker [--expires-in-days D]`.

use std::path::PathBuf;

use qbound_server::{Role, create_expiring_api_token};

use super::args::DatabaseArgs;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Creates a token and prints it (it is shown only this once).
    Create {
        /// A name to recognise the token by.
        #[arg(long)]
        name: String,
        /// What it may do: read, write or worker.
        #[arg(long)]
        role: Role,
        /// The server's data folder.
        #[arg(long, default_value = "qbound-data")]
        data: PathBuf,
        #[command(flatten)]
        database: DatabaseArgs,
        /// Days until the token stops working (1 to 3650; default: never).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=3650))]
        expires_in_days: Option<u32>,
    },
}

pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    match args.action {
        Action::Create {
            name,
            role,
            data,
            database,
            expires_in_days,
        } => {
            let token = tokio::runtime::Runtime::new()?.block_on(create_expiring_api_token(
                &data,
                database.database_url.as_deref(),
                &name,
                role,
                expires_in_days,
            ))?;
            println!("{token}");
        }
    }
    Ok(())
}
