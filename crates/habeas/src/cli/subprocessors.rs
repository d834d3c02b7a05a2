//! `habeas subprocessors diff OLD NEW`: what changed in the sub-processors
//! of the processor services between two versions of the declarations, and
//! the notice each service's controller customers are owed before the
//! change applies (Art. 28(2) and 28(4) GDPR), in French and English —
//! printed, or sent with `--send --to SERVICE=ADDRESS`.
//!
//! The diff and the notices are `habeas_breach::subprocessors` (pure); this
//! module reads the two directories, parses arguments and prints or sends.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow, bail};
use chrono::{Days, NaiveDate, Utc};
use habeas_breach::subprocessors::{self, ObjectionTerms, SubprocessorNotice};
use habeas_core::declarations::{self, Declarations, diagnostic};
use habeas_engine::project;
use habeas_notify::{MailAddress, MailKind, Mailer, OutgoingMail};

use super::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: SubprocessorsCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum SubprocessorsCommand {
    /// Compare two declaration directories and write the notices to controllers.
    Diff {
        /// The declarations before (a project directory or its `declarations/`).
        old: PathBuf,
        /// The declarations after.
        new: PathBuf,
        /// Days the contract gives controllers to object, from the notice.
        #[arg(long, default_value_t = 30)]
        objection_days: u32,
        /// The day the notice is sent (default today, UTC).
        #[arg(long)]
        notice_date: Option<NaiveDate>,
        /// The day the change applies (default: the end of the objection period).
        #[arg(long)]
        effective: Option<NaiveDate>,
        /// Print the changes and notices as JSON.
        #[arg(long)]
        json: bool,
        /// Send each service's notice to its controller customers (needs --to).
        #[arg(long, requires = "to")]
        send: bool,
        /// `SERVICE=ADDRESS` of a controller customer (repeat).
        #[arg(long)]
        to: Vec<String>,
    },
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let SubprocessorsCommand::Diff {
        old,
        new,
        objection_days,
        notice_date,
        effective,
        json,
        send,
        to,
    } = args.command;
    let before = load(&old)?;
    let after = load(&new)?;
    let changes = subprocessors::diff(&before, &after);
    let notice_date = notice_date.unwrap_or_else(|| Utc::now().date_naive());
    let effective = match effective {
        Some(d) => d,
        None => notice_date
            .checked_add_days(Days::new(u64::from(objection_days)))
            .ok_or_else(|| anyhow!("--objection-days {objection_days} is out of range"))?,
    };
    let terms = ObjectionTerms {
        notice_date,
        objection_days,
        effective,
    };
    let notices = subprocessors::notices(&after, &changes, terms)?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "changes": changes,
                "notices": notices,
            }))?
        );
    } else if notices.is_empty() {
        println!("aucun changement de sous-traitant ultérieur / no sub-processor change");
    } else {
        for n in &notices {
            for d in &n.drafts {
                println!(
                    "=== {} [{}] — {}\n\n{}\n",
                    n.service,
                    d.lang.tag(),
                    d.subject,
                    d.body
                );
            }
        }
    }
    if send {
        let recipients = parse_recipients(&to, &notices)?;
        let (vault, settings) = project::open_project_and_settings(&global.dir)?;
        let mailer = super::requests::mailer_for(&global.dir, &settings, &vault)?;
        let mut failed = 0;
        for n in &notices {
            for address in recipients.get(n.service.as_str()).into_iter().flatten() {
                match mailer.send(&mail(n, address.clone())) {
                    Ok(id) => eprintln!("{} : envoyé / sent {id}", n.service),
                    Err(e) => {
                        failed += 1;
                        eprintln!("{} : échec / failed: {e}", n.service);
                    }
                }
            }
        }
        if failed > 0 {
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `SERVICE=ADDRESS` pairs, each service one of the notices'.
fn parse_recipients<'a>(
    to: &'a [String],
    notices: &[SubprocessorNotice],
) -> anyhow::Result<BTreeMap<&'a str, Vec<MailAddress>>> {
    let mut out: BTreeMap<&str, Vec<MailAddress>> = BTreeMap::new();
    for (i, pair) in to.iter().enumerate() {
        let (service, address) = pair
            .split_once('=')
            .ok_or_else(|| anyhow!("--to #{}: write SERVICE=ADDRESS", i + 1))?;
        if !notices.iter().any(|n| n.service == service) {
            bail!(
                "--to #{}: no notice for service `{service}`; services with a change: {}",
                i + 1,
                notices
                    .iter()
                    .map(|n| n.service.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        let address = address
            .parse::<MailAddress>()
            .map_err(|e| anyhow!("--to #{}: {e}", i + 1))?;
        out.entry(service).or_default().push(address);
    }
    Ok(out)
}

/// One message holding the notice in French then English.
fn mail(n: &SubprocessorNotice, to: MailAddress) -> OutgoingMail {
    let subject = n
        .drafts
        .iter()
        .map(|d| d.subject.as_str())
        .collect::<Vec<_>>()
        .join(" / ");
    let text = n
        .drafts
        .iter()
        .map(|d| d.body.as_str())
        .collect::<Vec<_>>()
        .join("\n\n---------- English version ----------\n\n");
    OutgoingMail {
        to,
        subject,
        text,
        html: None,
        lang: None,
        kind: MailKind::SubprocessorChange,
        reference: Some(format!("SUBPROC-{}", n.notice_date.format("%Y%m%d"))),
    }
}

/// Load and check the declarations of a project directory or of a
/// `declarations/` directory itself.
fn load(dir: &Path) -> anyhow::Result<Declarations> {
    let folder = if dir.join("declarations").is_dir() {
        dir.join("declarations")
    } else {
        dir.to_path_buf()
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&folder)
        .with_context(|| format!("reading the declarations in {}", folder.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        bail!(
            "{} holds no .toml declarations; give a project directory or its declarations/",
            folder.display()
        );
    }
    let mut files = Vec::new();
    for p in paths {
        let text =
            std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?;
        files.push((p.display().to_string(), text));
    }
    let checked = declarations::load_and_check(&files);
    if checked.has_errors() {
        bail!(
            "the declarations in {} have errors (run `habeas check`):\n{}",
            folder.display(),
            diagnostic::render_human(&checked.diagnostics)
        );
    }
    Ok(checked.declarations)
}
