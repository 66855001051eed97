//! `gitops source get`: fetch a source, print its revision and artifact directory.

use std::fmt::Write as _;

use gitops_core::Source;

use crate::args::{Format, Global, SourceCommand};
use crate::exit::{self, Failure};
use crate::output;

pub async fn run(global: &Global, command: SourceCommand) -> Result<u8, Failure> {
    let SourceCommand::Get(args) = command;
    let source = crate::source::build(&args.source).await?;
    let artifact = source.fetch().await.map_err(super::classified)?;
    let text = match global.output {
        Some(Format::Json) => output::json(&artifact)?,
        Some(Format::Yaml) => output::yaml(&artifact)?,
        _ => {
            let mut text = format!(
                "revision: {}\nartifact: {}\n",
                artifact.revision,
                artifact.dir().display()
            );
            if let Some(commit) = &artifact.commit {
                let _ = writeln!(
                    text,
                    "commit:   {} by {} <{}> at {}\n          {}",
                    commit.id,
                    commit.author,
                    commit.email,
                    output::time(commit.time),
                    commit.message.lines().next().unwrap_or_default()
                );
            }
            text
        }
    };
    output::print(&text)?;
    Ok(exit::OK)
}
