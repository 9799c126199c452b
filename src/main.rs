use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = commonthread::cli::Cli::parse();
    ExitCode::from(commonthread::run(cli))
}
