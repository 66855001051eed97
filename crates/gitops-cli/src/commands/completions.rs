//! `gitops completions SHELL`.

use clap::CommandFactory;

use crate::args::{Cli, CompletionsArgs};
use crate::exit::{self, Failure};

pub fn run(args: CompletionsArgs) -> Result<u8, Failure> {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "gitops", &mut out);
    crate::output::print(&String::from_utf8_lossy(&out))?;
    Ok(exit::OK)
}
