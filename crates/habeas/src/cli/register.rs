//! `habeas register`, `habeas notice`, `habeas assurance`: render documents
//! from the project's declarations, to stdout or `-o FILE`. Declarations
//! with errors are refused (a register built on a broken model would be
//! wrong); warnings are printed and rendering goes on.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use habeas_core::declarations::{Declarations, Diagnostic, diagnostic};
use habeas_core::lang::Lang;
use habeas_core::register::{self, DocFormat, Format, View};

use super::Global;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RegisterFormat {
    Md,
    Html,
    Csv,
    Json,
    Jsonld,
}

impl From<RegisterFormat> for Format {
    fn from(f: RegisterFormat) -> Self {
        match f {
            RegisterFormat::Md => Format::Markdown,
            RegisterFormat::Html => Format::Html,
            RegisterFormat::Csv => Format::Csv,
            RegisterFormat::Json => Format::Json,
            RegisterFormat::Jsonld => Format::JsonLd,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DocumentFormat {
    Md,
    Html,
}

impl From<DocumentFormat> for DocFormat {
    fn from(f: DocumentFormat) -> Self {
        match f {
            DocumentFormat::Md => DocFormat::Markdown,
            DocumentFormat::Html => DocFormat::Html,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RegisterView {
    /// Art. 30(1): the provider as controller.
    Controller,
    /// Art. 30(2): the provider as processor for its customers.
    Processor,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LangArg {
    Fr,
    En,
}

impl From<LangArg> for Lang {
    fn from(l: LangArg) -> Self {
        match l {
            LangArg::Fr => Lang::Fr,
            LangArg::En => Lang::En,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct RegisterArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = RegisterFormat::Md)]
    pub format: RegisterFormat,
    /// Language of labels and texts.
    #[arg(long, value_enum, default_value_t = LangArg::Fr)]
    pub lang: LangArg,
    /// Which register: controller (Art. 30(1)) or processor (Art. 30(2)).
    #[arg(long, value_enum, default_value_t = RegisterView::Controller)]
    pub view: RegisterView,
    /// Write to FILE instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Show what changed when: the git history of the declarations folder.
    #[arg(long)]
    pub history: bool,
}

#[derive(Debug, clap::Args)]
pub struct NoticeArgs {
    #[arg(long, value_enum, default_value_t = DocumentFormat::Md)]
    pub format: DocumentFormat,
    /// Language of the rendered notice and of the messages.
    #[arg(long, value_enum, default_value_t = LangArg::Fr, global = true)]
    pub lang: LangArg,
    /// Write to FILE instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Published versions (publish, versions, show, announce); without one,
    /// the notice is rendered from the declarations.
    #[command(subcommand)]
    pub command: Option<super::notice::NoticeCommand>,
}

#[derive(Debug, clap::Args)]
pub struct AssuranceArgs {
    #[arg(long, value_enum, default_value_t = DocumentFormat::Md)]
    pub format: DocumentFormat,
    #[arg(long, value_enum, default_value_t = LangArg::Fr)]
    pub lang: LangArg,
    /// Write to FILE instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run_register(global: &Global, args: RegisterArgs) -> anyhow::Result<ExitCode> {
    if args.history {
        return history(&global.dir);
    }
    let Some(d) = checked_declarations(&global.dir)? else {
        return Ok(ExitCode::from(1));
    };
    let view = match args.view {
        RegisterView::Controller => View::Controller,
        RegisterView::Processor => View::Processor,
    };
    let text = register::render_register(&d, view, args.format.into(), args.lang.into());
    emit(&text, args.output.as_deref())
}

pub fn run_notice(global: &Global, args: NoticeArgs) -> anyhow::Result<ExitCode> {
    if let Some(command) = args.command {
        return super::notice::run(global, command, args.lang.into());
    }
    let Some(d) = checked_declarations(&global.dir)? else {
        return Ok(ExitCode::from(1));
    };
    emit(
        &register::render_notice(&d, args.format.into(), args.lang.into()),
        args.output.as_deref(),
    )
}

pub fn run_assurance(global: &Global, args: AssuranceArgs) -> anyhow::Result<ExitCode> {
    let Some(d) = checked_declarations(&global.dir)? else {
        return Ok(ExitCode::from(1));
    };
    emit(
        &register::render_assurance(&d, args.format.into(), args.lang.into()),
        args.output.as_deref(),
    )
}

/// Load and check; print findings on stderr; `None` when there are errors.
pub(crate) fn checked_declarations(dir: &Path) -> anyhow::Result<Option<Declarations>> {
    let checked = super::check::load_project(dir)?;
    let problems: Vec<&Diagnostic> = checked.diagnostics.iter().collect();
    if !problems.is_empty() {
        let owned: Vec<Diagnostic> = problems.into_iter().cloned().collect();
        eprint!("{}", diagnostic::render_human(&owned));
    }
    if checked.has_errors() {
        eprintln!("error: fix the declarations (see `habeas check`) before rendering");
        return Ok(None);
    }
    Ok(Some(checked.declarations))
}

fn emit(text: &str, output: Option<&Path>) -> anyhow::Result<ExitCode> {
    match output {
        Some(path) => {
            std::fs::write(path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// `git log` of the declarations folder: what changed when (Art. 5(2)).
fn history(dir: &Path) -> anyhow::Result<ExitCode> {
    let output = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "log",
            "--date=short",
            "--format=%ad  %h  %an  %s",
            "--stat",
            "--",
            "declarations",
        ])
        .output()
        .context("cannot run git: install git to see the register's history")?;
    if !output.status.success() {
        anyhow::bail!(
            "the project is not in a git repository ({}); commit the declarations to keep their history",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let text = String::from_utf8_lossy(&output.stdout);
    if text.trim().is_empty() {
        println!("no committed change to declarations/ yet");
    } else {
        print!("{text}");
    }
    Ok(ExitCode::SUCCESS)
}
