//! `habeas hold add|list|release`: legal holds (GDPR Art. 17(3)(e) — data
//! needed for legal claims; Art. 18 — restriction). A hold suspends the
//! purge for one subject or one category; it is journaled, listed, and
//! released explicitly (never deleted: who released it and when stays).

use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::{DateTime, NaiveDate, Utc};
use habeas_core::clock::SystemClock;
use habeas_core::lang::Lang;
use habeas_engine::{Caller, project};
use habeas_retention::hold::{Hold, HoldFilter, HoldScope, HoldService, NewHold};

use super::Global;
use super::register::LangArg;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Language of the output.
    #[arg(long, value_enum, default_value_t = LangArg::Fr, global = true)]
    pub lang: LangArg,
    /// Who acts, as journaled (e.g. dpo).
    #[arg(long, default_value = "cli", global = true)]
    pub by: String,
    #[command(subcommand)]
    pub command: HoldCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum HoldCommand {
    /// Place a hold on a subject or a category.
    Add {
        /// A subject id (sub_…), never an address.
        #[arg(
            long,
            conflicts_with = "category",
            required_unless_present = "category"
        )]
        subject: Option<String>,
        /// A declared category.
        #[arg(long)]
        category: Option<String>,
        /// Which claim or proceedings (required; keep names out of it).
        #[arg(long)]
        reason: String,
        /// Last day of the hold (YYYY-MM-DD, through its end, UTC) or an RFC 3339 instant;
        /// without it the hold lasts until released.
        #[arg(long, value_name = "DATE")]
        until: Option<String>,
    },
    /// List holds (active ones; --all for released and lapsed ones too).
    List {
        #[arg(long)]
        all: bool,
    },
    /// Release a hold (HOLD-0001), saying why (the claim settled, the proceedings closed).
    Release {
        id: String,
        /// Why the data need no longer be kept (required; keep names out of it).
        #[arg(long)]
        reason: String,
    },
}

/// `YYYY-MM-DD` (through the end of that day, UTC) or an RFC 3339 instant.
fn parse_until(text: &str) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.to_utc());
    }
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").with_context(|| {
        format!("--until `{text}` : date AAAA-MM-JJ attendue / a YYYY-MM-DD date is expected")
    })?;
    day.succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .context("--until: date hors limites / date out of range")
}

fn line(h: &Hold, lang: Lang) -> String {
    let scope = match &h.scope {
        HoldScope::Subject(s) => format!("{} {s}", lang.pick("personne", "subject")),
        HoldScope::Category(c) => format!("{} {c}", lang.pick("catégorie", "category")),
    };
    let until = h.until.map_or_else(
        || lang.pick("jusqu'à levée", "until released").to_string(),
        |t| {
            format!(
                "{} {}",
                lang.pick("jusqu'au", "until"),
                t.format("%Y-%m-%d %H:%M UTC")
            )
        },
    );
    let state = match &h.released {
        Some(r) => format!(
            "{} {} ({}{})",
            lang.pick("levé le", "released on"),
            r.at.format("%Y-%m-%d"),
            r.by,
            r.reason
                .as_deref()
                .map(|why| format!(": {why}"))
                .unwrap_or_default()
        ),
        None => lang.pick("actif", "active").to_string(),
    };
    format!(
        "{}\t{scope}\t{until}\t{state}\t{} {}\t{}",
        h.id,
        lang.pick("placé le", "placed on"),
        h.created_at.format("%Y-%m-%d"),
        h.reason
    )
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let lang: Lang = args.lang.into();
    let vault = project::open_project(&global.dir)?;
    let caller = Caller::operator(&args.by, "legal_hold");
    let docs = vault.docs(caller.clone());
    let clock = SystemClock;
    let holds = HoldService::new(&docs, &clock);
    match args.command {
        HoldCommand::Add {
            subject,
            category,
            reason,
            until,
        } => {
            let scope = match (subject, category) {
                (Some(s), None) => {
                    super::require_subject(&vault, &s)?;
                    HoldScope::Subject(s)
                }
                (None, Some(c)) => {
                    if vault.declarations().category(&c).is_none() {
                        bail!(
                            "catégorie « {c} » non déclarée (voir declarations/) / category `{c}` is not declared (see declarations/)"
                        );
                    }
                    HoldScope::Category(c)
                }
                _ => bail!(
                    "--subject ou --category, l'un des deux / give --subject or --category, one of them"
                ),
            };
            let until = until.as_deref().map(parse_until).transpose()?;
            let kind = match &scope {
                HoldScope::Subject(_) => "subject",
                HoldScope::Category(_) => "category",
            };
            let hold = holds.add(NewHold {
                scope,
                reason,
                created_by: args.by.clone(),
                until,
            })?;
            vault.journal_admin(&caller, "hold.add", format!("id={} scope={kind}", hold.id))?;
            println!("{}", line(&hold, lang));
        }
        HoldCommand::List { all } => {
            let filter = if all {
                HoldFilter::All
            } else {
                HoldFilter::Active
            };
            let list = holds.list(filter)?;
            if list.is_empty() {
                println!("{}", lang.pick("aucun gel", "no hold"));
            }
            for h in list {
                println!("{}", line(&h, lang));
            }
        }
        HoldCommand::Release { id, reason } => {
            let hold = holds.release_because(&id, &args.by, &reason)?;
            vault.journal_admin(&caller, "hold.release", format!("id={}", hold.id))?;
            println!("{}", line(&hold, lang));
        }
    }
    Ok(ExitCode::SUCCESS)
}
