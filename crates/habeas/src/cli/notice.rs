//! `habeas notice publish|versions|show|announce`: the published versions
//! of the privacy notice (Art. 12–14 GDPR, SPEC C8), kept in the vault.
//! Plain `habeas notice` still renders the notice from the declarations
//! (`register.rs`).
//!
//! Publishing a substantial version checks the declared announcement
//! period (`[rights] notice_change_period`) and then mails the
//! announcement to every subject with an address on file; `announce`
//! retries the deliveries still pending or failed.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, anyhow, bail};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use habeas_core::clock::{Clock, ManualClock, SystemClock};
use habeas_core::lang::Lang;
use habeas_core::register::{self, DocFormat};
use habeas_engine::project;
use habeas_rights::notice_announce::{self, AnnounceReport};
use habeas_rights::notices::{NewNotice, NoticeStore};
use habeas_rights::vault_bridge;

use super::Global;

#[derive(Debug, clap::Subcommand)]
pub enum NoticeCommand {
    /// Publish a new version of the notice (its text and effective date).
    Publish {
        /// The version label, e.g. 2026-12 (printable ASCII, no spaces).
        #[arg(long = "version", value_name = "V")]
        label: String,
        /// When it applies: YYYY-MM-DD (midnight, French time) or RFC 3339.
        #[arg(long, value_name = "DATE")]
        effective: String,
        /// A substantial change: announced to subjects at least the declared period ahead.
        #[arg(long)]
        substantial: bool,
        /// The text to publish (UTF-8).
        #[arg(long, value_name = "TEXT", conflicts_with = "from_declarations")]
        file: Option<PathBuf>,
        /// Publish the notice rendered from the declarations (Markdown, in --lang).
        #[arg(long)]
        from_declarations: bool,
    },
    /// Every published version with its dates and status.
    Versions,
    /// One version's text, or with --diff the changes from the previous one.
    Show {
        version: String,
        #[arg(long)]
        diff: bool,
    },
    /// Send the announcement of a substantial version again to the subjects
    /// not reached yet (pending or failed).
    Announce { version: String },
}

/// Midnight in France on `YYYY-MM-DD` (from now when that is today), or an
/// RFC 3339 instant.
fn parse_effective(text: &str, now: DateTime<Utc>) -> anyhow::Result<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(habeas_core::notice::effective_from_day(day, now));
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.to_utc())
        .map_err(|_| {
            anyhow!(
                "--effective {text:?}: expected a date YYYY-MM-DD (midnight, French time) or an RFC 3339 instant such as 2027-01-04T00:00:00+01:00"
            )
        })
}

fn print_report(r: &AnnounceReport, lang: Lang) {
    println!(
        "{}: {} {} ; {} {}, {} {} ({} {}, {} {}, {} {})",
        lang.pick("annonce", "announcement"),
        r.listed,
        lang.pick("personnes avec une adresse", "subjects with an address"),
        r.sent,
        lang.pick("envoyées", "sent"),
        r.failed,
        lang.pick("en échec", "failed"),
        lang.pick("total envoyées", "total sent"),
        r.total.sent,
        lang.pick("en attente", "pending"),
        r.total.pending,
        lang.pick("en échec", "failed"),
        r.total.failed,
    );
}

pub fn run(global: &Global, command: NoticeCommand, lang: Lang) -> anyhow::Result<ExitCode> {
    let vault = project::open_project(&global.dir)?;
    let clock = SystemClock;
    let decls = vault.declarations();
    let docs = vault.docs(vault_bridge::rights_caller("cli"));
    let store = NoticeStore::new(&docs, &clock, decls);
    match command {
        NoticeCommand::Publish {
            label,
            effective,
            substantial,
            file,
            from_declarations,
        } => {
            let text = match (file, from_declarations) {
                (Some(path), false) => std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read {} (UTF-8 text)", path.display()))?,
                (None, true) => register::render_notice(decls, DocFormat::Markdown, lang),
                _ => bail!("give the text with --file TEXT or --from-declarations"),
            };
            // One instant for "today" and the publication, so a version
            // effective today is not refused as effective before publication.
            let now = clock.now();
            let effective_at = parse_effective(&effective, now)?;
            let at_now = ManualClock::new(now);
            let v = NoticeStore::new(&docs, &at_now, decls).publish(NewNotice {
                version: label,
                text,
                effective_at,
                substantial,
            })?;
            println!(
                "{} {} — {} {}, {} {}",
                lang.pick("version publiée", "version published"),
                v.version,
                lang.pick("publiée le", "published"),
                v.published_at.to_rfc3339_opts(SecondsFormat::Secs, true),
                lang.pick("en vigueur le", "effective"),
                v.effective_at.to_rfc3339_opts(SecondsFormat::Secs, true)
            );
            if v.substantial {
                let report = announce(global, &vault, &store, &v.version)?;
                print_report(&report, lang);
            }
        }
        NoticeCommand::Versions => {
            let list = store.summaries()?;
            if list.is_empty() {
                println!(
                    "{}",
                    lang.pick(
                        "aucune version publiée (habeas notice publish)",
                        "no version published (habeas notice publish)"
                    )
                );
            }
            for s in list {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    s.version,
                    s.published_at.to_rfc3339_opts(SecondsFormat::Secs, true),
                    s.effective_at.to_rfc3339_opts(SecondsFormat::Secs, true),
                    s.status.label(lang),
                    if s.substantial {
                        lang.pick("substantielle", "substantial")
                    } else {
                        "-"
                    }
                );
            }
        }
        NoticeCommand::Show { version, diff } => {
            let d = store.detail(&version)?;
            if diff {
                match d.diff {
                    Some(diff) => print!("{}", diff.render()),
                    None => println!(
                        "{}",
                        lang.pick(
                            "première version : pas de version précédente",
                            "first version: no previous version"
                        )
                    ),
                }
            } else {
                print!("{}", d.text);
                if !d.text.ends_with('\n') {
                    println!();
                }
            }
            if let Some(a) = d.announcement {
                eprintln!(
                    "{}: {} / {} {}, {} {}, {} {}",
                    lang.pick("annonce", "announcement"),
                    a.sent,
                    a.recipients,
                    lang.pick("envoyées", "sent"),
                    a.pending,
                    lang.pick("en attente", "pending"),
                    a.failed,
                    lang.pick("en échec", "failed"),
                );
            }
        }
        NoticeCommand::Announce { version } => {
            let report = announce(global, &vault, &store, &version)?;
            print_report(&report, lang);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn announce(
    global: &Global,
    vault: &habeas_engine::Vault,
    store: &NoticeStore<'_>,
    version: &str,
) -> anyhow::Result<AnnounceReport> {
    let settings = project::load_settings(&global.dir)?;
    let mailer = super::requests::mailer_for(&global.dir, &settings, vault)?;
    // The public page listing every version with its diff, when the
    // provider has an https address; otherwise the mail says whom to ask.
    let link = settings
        .server
        .public_url
        .as_deref()
        .filter(|u| u.starts_with("https://"))
        .map(|u| format!("{}/portail/politique#v-{version}", u.trim_end_matches('/')));
    Ok(notice_announce::announce(
        vault,
        mailer.as_ref(),
        store,
        version,
        link,
        "cli",
    )?)
}
