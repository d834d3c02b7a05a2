//! Placeholder owned by the helper building this command; replaced before commit.

use std::process::ExitCode;

use super::Global;

#[derive(Debug, clap::Args)]
pub struct RegisterArgs {}
#[derive(Debug, clap::Args)]
pub struct NoticeArgs {}
#[derive(Debug, clap::Args)]
pub struct AssuranceArgs {}

pub fn run_register(_global: &Global, _args: RegisterArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("this command is being built")
}
pub fn run_notice(_global: &Global, _args: NoticeArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("this command is being built")
}
pub fn run_assurance(_global: &Global, _args: AssuranceArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("this command is being built")
}
