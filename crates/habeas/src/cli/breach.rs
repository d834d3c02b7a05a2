//! `habeas breach …`: the breach register of Art. 33(5) GDPR on the
//! project's vault — open, update, close, list (overdue and due-soon
//! flagged), show; the impact counted in the vault; the Art. 34 decision;
//! the authority notice (CNIL/APD export, then the notice recorded); the
//! letters to subjects and the notices to controller customers, sent
//! through the mailer with a per-recipient status.
//!
//! The rules live in `habeas-breach` (register, exports, letters),
//! `habeas_breach::vault_bridge` (impact, contacts, sending) and
//! `habeas_breach::incident` (holds and incident links, shared with the
//! API); the clocks are `habeas.toml` `[breach]`. This module parses
//! arguments and prints.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, Utc};
use habeas_breach::export::{self, render};
use habeas_breach::incident::{self, IncidentEffects};
use habeas_breach::vault_bridge::{self, ContactField, SendReport};
use habeas_breach::{BreachPatch, BreachRegister, Form, Nature, NewBreach, Snapshot, TimeWindow};
use habeas_core::breach::{
    Art34Decision, Art34Exemption, AuthorityNotification, BreachClockConfig, Phase, RiskLevel,
};
use habeas_core::clock::{Clock, SystemClock};
use habeas_core::declarations::Text;
use habeas_core::lang::Lang;
use habeas_engine::{Caller, Vault, project};

use super::Global;
use super::register::LangArg;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Who makes the change, as written in the register and the journal.
    #[arg(long, global = true, default_value = "cli")]
    pub by: String,
    #[command(subcommand)]
    pub command: BreachCommand,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormArg {
    Cnil,
    Apd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Json,
    Md,
    Html,
}

#[derive(Debug, clap::Subcommand)]
pub enum BreachCommand {
    /// Enter a breach in the register (flags, or --file with the JSON of a new breach).
    Open(OpenArgs),
    /// Change fields of a breach: --file holds a JSON patch (each field given replaces the old).
    Update {
        id: String,
        #[arg(long)]
        file: PathBuf,
    },
    /// Count the subjects and records concerned in the vault and record the estimate.
    Impact { id: String },
    /// Record the Art. 34 decision: risk level, reasons, exemption.
    Decide {
        id: String,
        /// unlikely, risk or high.
        #[arg(long)]
        risk: String,
        /// Why that level (recorded with the decision, Art. 34(1)).
        #[arg(long)]
        reasoning: String,
        /// unintelligible, subsequent_measures or disproportionate_effort (Art. 34(3)).
        #[arg(long, requires = "exemption_reasoning")]
        exemption: Option<String>,
        /// Why the exemption applies.
        #[arg(long)]
        exemption_reasoning: Option<String>,
    },
    /// Record the notice sent to the authority (with the digest of the export sent).
    NotifyAuthority {
        id: String,
        /// initial or complementary (Art. 33(4)).
        #[arg(long, default_value = "initial")]
        phase: String,
        /// The notice holds everything required (no complement owed).
        #[arg(long)]
        complete: bool,
        /// When it was sent (RFC 3339); default now.
        #[arg(long, value_parser = rfc3339)]
        at: Option<DateTime<Utc>>,
        /// The authority's case reference.
        #[arg(long)]
        reference: Option<String>,
        /// Reasons for a late notice (Art. 33(1)).
        #[arg(long)]
        delay_reason: Option<String>,
        /// The form whose export was sent (its digest is recorded).
        #[arg(long, value_enum)]
        form: Option<FormArg>,
        #[arg(long, value_enum, default_value_t = LangArg::Fr)]
        lang: LangArg,
    },
    /// The notification in the fields of the CNIL or APD form.
    Export {
        id: String,
        #[arg(long, value_enum)]
        form: Option<FormArg>,
        #[arg(long, value_enum, default_value_t = LangArg::Fr)]
        lang: LangArg,
        #[arg(long, value_enum, default_value_t = ExportFormat::Json)]
        format: ExportFormat,
        /// initial or complementary.
        #[arg(long, default_value = "initial")]
        phase: String,
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
    },
    /// Send the Art. 34 letter to every subject concerned not yet reached.
    NotifySubjects {
        id: String,
        /// The vault field holding the address (`<category>.<field>`).
        #[arg(long)]
        contact: Option<String>,
    },
    /// Send the Art. 33(2) notice to controller customers.
    NotifyControllers {
        id: String,
        /// A customer's vault subject id (`sub_…`) or e-mail address on file (repeat).
        #[arg(long = "customer", required = true)]
        customers: Vec<String>,
        #[arg(long)]
        contact: Option<String>,
    },
    /// Record where and when the Art. 34(3)(c) public communication was published.
    Publish {
        id: String,
        #[arg(long)]
        channel: String,
        #[arg(long, value_parser = rfc3339)]
        at: Option<DateTime<Utc>>,
    },
    /// Close a breach once nothing is owed.
    Close {
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// Reopen a closed breach (new facts).
    Reopen {
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// Every breach, overdue and due soon first.
    List {
        #[arg(long)]
        json: bool,
    },
    /// One breach with its whole log (JSON).
    Show { id: String },
}

/// An instant given on the command line, with an error that says the form.
fn rfc3339(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.to_utc())
        .map_err(|_| {
            "date et heure RFC 3339 attendues, p. ex. 2026-12-06T10:00:00Z ou 2026-12-06T11:00:00+01:00 / \
             an RFC 3339 instant is expected, e.g. 2026-12-06T10:00:00Z or 2026-12-06T11:00:00+01:00"
                .to_string()
        })
}

#[derive(Debug, clap::Args)]
pub struct OpenArgs {
    /// The JSON of a new breach (`NewBreach`); replaces the flags below.
    #[arg(long, conflicts_with_all = ["aware", "nature", "description_fr"])]
    file: Option<PathBuf>,
    /// When the provider became aware (RFC 3339): the clocks start here.
    #[arg(long, required_unless_present = "file", value_parser = rfc3339)]
    aware: Option<DateTime<Utc>>,
    /// When the incident was detected (default: awareness).
    #[arg(long, value_parser = rfc3339)]
    detected: Option<DateTime<Utc>>,
    /// confidentiality, integrity, availability (repeat).
    #[arg(long, required_unless_present = "file")]
    nature: Vec<String>,
    /// What happened, in French (the register, the CNIL form, the letters).
    #[arg(long, required_unless_present = "file")]
    description_fr: Option<String>,
    /// The same in English (default: the French text).
    #[arg(long, requires = "description_fr")]
    description_en: Option<String>,
    /// Declared service ids (repeat).
    #[arg(long)]
    service: Vec<String>,
    /// Declared data category ids (repeat).
    #[arg(long)]
    category: Vec<String>,
    /// Declared subject category ids (repeat).
    #[arg(long = "subjects")]
    subject_categories: Vec<String>,
    /// Systems involved (host names…).
    #[arg(long)]
    system: Vec<String>,
    /// Start of the breach window (RFC 3339).
    #[arg(long, value_parser = rfc3339)]
    from: Option<DateTime<Utc>>,
    /// End of the breach window (RFC 3339).
    #[arg(long, value_parser = rfc3339)]
    to: Option<DateTime<Utc>>,
    /// The breach is still going on (no end to the window yet).
    #[arg(long, conflicts_with = "to")]
    ongoing: bool,
    /// The breach is established, not only suspected.
    #[arg(long)]
    established: bool,
    /// Count the subjects and records in the vault right away.
    #[arg(long)]
    impact: bool,
}

/// The register, the vault and a clock, opened once per command, with the
/// settings read once (`[breach]` clocks, the mailer's `[mail]`).
struct Desk {
    vault: Vault,
    clock: SystemClock,
    settings: habeas_core::settings::Settings,
}

impl Desk {
    fn open(dir: &Path) -> anyhow::Result<Desk> {
        let (vault, settings) = project::open_project_and_settings(dir)?;
        Ok(Desk {
            vault,
            clock: SystemClock,
            settings,
        })
    }

    fn register<'a>(&'a self, docs: &'a dyn habeas_core::docs::DocStore) -> BreachRegister<'a> {
        BreachRegister::new(
            docs,
            &self.clock,
            self.vault.declarations(),
            self.settings.breach.clocks(),
        )
    }

    /// Customer ids as given, or found by their e-mail address (blind index,
    /// journaled under the contact's purpose); one subject per address.
    fn customer_ids(
        &self,
        by: &str,
        contact: &ContactField,
        given: &[String],
    ) -> anyhow::Result<Vec<String>> {
        let caller = Caller::operator(by, &contact.purpose(self.vault.declarations())?);
        let mut out = Vec::new();
        for (i, value) in given.iter().enumerate() {
            if !value.contains('@') {
                out.push(value.clone());
                continue;
            }
            match self.vault.find(&caller, "email", value)?.as_slice() {
                [one] => out.push(one.clone()),
                [] => bail!("--customer #{}: no subject holds that address", i + 1),
                _ => bail!(
                    "--customer #{}: several subjects hold that address; give the subject id (sub_…)",
                    i + 1
                ),
            }
        }
        Ok(out)
    }

    fn contact(&self, given: Option<&str>) -> anyhow::Result<ContactField> {
        let decls = self.vault.declarations();
        Ok(match given {
            Some(text) => ContactField::parse(decls, text)?,
            None => ContactField::default_for(decls)?,
        })
    }
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let desk = Desk::open(&global.dir)?;
    let decls = desk.vault.declarations();
    let purpose = vault_bridge::breach_purpose(decls).unwrap_or_else(|| "administration".into());
    let docs = desk.vault.docs(Caller::operator(&args.by, &purpose));
    let register = desk.register(&docs);
    let by = args.by.as_str();
    let now = desk.clock.now();
    match args.command {
        BreachCommand::Open(o) => {
            let new = match &o.file {
                Some(path) => read_json::<NewBreach>(path)?,
                None => new_breach(&o)?,
            };
            let mut snap = register.open(by, new)?;
            let effects = incident::apply(&register, &desk.vault, &snap.breach, by)?;
            if o.impact {
                snap =
                    vault_bridge::record_impact(&register, &desk.vault, &snap.breach.id, by, now)?
                        .0;
            }
            print_opened(&snap, register.config(), now);
            print_effects(&effects);
        }
        BreachCommand::Update { id, file } => {
            let patch: BreachPatch = read_json(&file)?;
            let current = register.show(&id)?;
            let snap = register.update(&id, current.version, by, patch)?;
            println!(
                "{} mise à jour (version {}) / updated",
                snap.breach.id, snap.version
            );
            print_effects(&incident::apply(&register, &desk.vault, &snap.breach, by)?);
        }
        BreachCommand::Impact { id } => {
            let (_, found) = vault_bridge::record_impact(&register, &desk.vault, &id, by, now)?;
            println!("{}", serde_json::to_string_pretty(&found.estimate(now))?);
        }
        BreachCommand::Decide {
            id,
            risk,
            reasoning,
            exemption,
            exemption_reasoning,
        } => {
            let decision = Art34Decision {
                risk: risk
                    .parse::<RiskLevel>()
                    .map_err(|e| anyhow!("--risk: {e}"))?,
                reasoning,
                exemption: exemption
                    .map(|e| {
                        e.parse::<Art34Exemption>()
                            .map_err(|e| anyhow!("--exemption: {e}"))
                    })
                    .transpose()?,
                exemption_reasoning,
                decided_by: by.to_string(),
                decided_at: now,
            };
            let current = register.show(&id)?;
            let snap = register.record_decision(&id, current.version, by, decision)?;
            println!(
                "{} : décision consignée / decision recorded",
                snap.breach.id
            );
        }
        BreachCommand::NotifyAuthority {
            id,
            phase,
            complete,
            at,
            reference,
            delay_reason,
            form,
            lang,
        } => {
            let phase = phase
                .parse::<Phase>()
                .map_err(|e| anyhow!("--phase: {e}"))?;
            let current = register.show(&id)?;
            let digest = form.map(|f| {
                export::notification(
                    &current.breach,
                    decls,
                    register.config(),
                    form_of(Some(f), decls),
                    phase,
                    lang.into(),
                    now,
                )
                .digest()
            });
            let notice = AuthorityNotification {
                phase,
                at: at.unwrap_or(now),
                complete,
                delay_reason,
                reference,
            };
            let snap = register.record_notification(&id, current.version, by, notice, digest)?;
            println!(
                "{} : notification à l'autorité consignée / authority notice recorded",
                snap.breach.id
            );
        }
        BreachCommand::Export {
            id,
            form,
            lang,
            format,
            phase,
            output,
        } => {
            let phase = phase
                .parse::<Phase>()
                .map_err(|e| anyhow!("--phase: {e}"))?;
            let snap = register.show(&id)?;
            let lang: Lang = lang.into();
            let e = export::notification(
                &snap.breach,
                decls,
                register.config(),
                form_of(form, decls),
                phase,
                lang,
                now,
            );
            let text = match format {
                ExportFormat::Json => serde_json::to_string_pretty(&e)? + "\n",
                ExportFormat::Md => render::markdown(&e),
                ExportFormat::Html => render::html(&e),
            };
            match output {
                Some(path) => std::fs::write(&path, text)
                    .with_context(|| format!("writing {}", path.display()))?,
                None => print!("{text}"),
            }
        }
        BreachCommand::NotifySubjects { id, contact } => {
            let contact = desk.contact(contact.as_deref())?;
            let mailer = super::requests::mailer_for(&global.dir, &desk.settings, &desk.vault)?;
            let report = vault_bridge::notify_subjects(
                &register,
                &desk.vault,
                &mailer,
                &id,
                by,
                &contact,
                now,
            )?;
            return Ok(print_report(&report));
        }
        BreachCommand::NotifyControllers {
            id,
            customers,
            contact,
        } => {
            let contact = desk.contact(contact.as_deref())?;
            let customers = desk.customer_ids(by, &contact, &customers)?;
            let mailer = super::requests::mailer_for(&global.dir, &desk.settings, &desk.vault)?;
            let report = vault_bridge::notify_controllers(
                &register,
                &desk.vault,
                &mailer,
                &id,
                by,
                &contact,
                &customers,
            )?;
            return Ok(print_report(&report));
        }
        BreachCommand::Publish { id, channel, at } => {
            let current = register.show(&id)?;
            let snap = register.record_public_communication(
                &id,
                current.version,
                by,
                at.unwrap_or(now),
                &channel,
            )?;
            println!(
                "{} : communication publique consignée / public communication recorded",
                snap.breach.id
            );
        }
        BreachCommand::Close { id, reason } => {
            let current = register.show(&id)?;
            let snap = register.close(&id, current.version, by, &reason)?;
            println!("{} clôturée / closed", snap.breach.id);
            for hold in incident::release(&register, &snap.breach.id, by)? {
                eprintln!("gel {hold} levé / hold {hold} released");
            }
        }
        BreachCommand::Reopen { id, reason } => {
            let current = register.show(&id)?;
            let snap = register.reopen(&id, current.version, by, &reason)?;
            println!("{} rouverte / reopened", snap.breach.id);
            print_effects(&incident::apply(&register, &desk.vault, &snap.breach, by)?);
        }
        BreachCommand::List { json } => {
            let listing = register.list()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&listing)?);
            } else {
                print_list(&listing);
            }
            if !listing.damaged.is_empty() {
                return Ok(ExitCode::from(1));
            }
        }
        BreachCommand::Show { id } => {
            let snap = register.show(&id)?;
            println!("{}", serde_json::to_string_pretty(&snap)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn form_of(form: Option<FormArg>, decls: &habeas_core::declarations::Declarations) -> Form {
    match form {
        Some(FormArg::Cnil) => Form::Cnil,
        Some(FormArg::Apd) => Form::Apd,
        None => Form::for_declarations(decls),
    }
}

fn new_breach(o: &OpenArgs) -> anyhow::Result<NewBreach> {
    let aware = o.aware.ok_or_else(|| anyhow!("--aware is required"))?;
    let natures = o
        .nature
        .iter()
        .map(|n| n.parse::<Nature>().map_err(|e| anyhow!("--nature: {e}")))
        .collect::<anyhow::Result<BTreeSet<Nature>>>()?;
    let fr = o.description_fr.clone().unwrap_or_default();
    let en = o.description_en.clone().unwrap_or_else(|| fr.clone());
    Ok(NewBreach {
        certainty: if o.established {
            habeas_breach::Certainty::Established
        } else {
            habeas_breach::Certainty::Suspected
        },
        detected_at: o.detected.unwrap_or(aware),
        aware_at: aware,
        natures,
        description: Text { fr, en },
        services: o.service.clone(),
        systems: o.system.clone(),
        data_categories: o.category.clone(),
        subject_categories: o.subject_categories.clone(),
        window: TimeWindow {
            start: o.from,
            end: o.to,
            ongoing: o.ongoing,
        },
    })
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| {
        anyhow!(
            "{}:{}:{}: {e}; see docs/breaches.md for the fields",
            path.display(),
            e.line(),
            e.column()
        )
    })
}

fn print_opened(snap: &Snapshot, cfg: &BreachClockConfig, now: DateTime<Utc>) {
    let b = &snap.breach;
    println!("{}", b.id);
    let summary = habeas_breach::duties::summarise(b, snap.version, cfg, now);
    match summary.next_due {
        Some(due) => eprintln!(
            "échéance de notification à l'autorité / authority deadline: {}",
            due.format("%Y-%m-%d %H:%M UTC")
        ),
        None => eprintln!("aucune échéance pour l'autorité / no authority deadline"),
    }
    if let Some(i) = &b.impact {
        eprintln!(
            "impact : {} personnes, {} enregistrements / impact: {} subjects, {} records",
            i.subjects, i.records, i.subjects, i.records
        );
    }
}

fn print_list(listing: &habeas_breach::Listing) {
    if listing.breaches.is_empty() {
        println!("aucune violation consignée / no breach in the register");
    }
    for s in &listing.breaches {
        let flag = match s.urgency {
            Some(u) => format!(
                "[{} / {}] ",
                u.label(Lang::Fr).to_uppercase(),
                u.label(Lang::En).to_uppercase()
            ),
            None => String::new(),
        };
        let due = s
            .next_due
            .map(|d| format!(" échéance / due {}", d.format("%Y-%m-%d %H:%M UTC")))
            .unwrap_or_default();
        let state = if s.open {
            "ouverte/open"
        } else {
            "clôturée/closed"
        };
        let duties: Vec<String> = s.duties.iter().map(|d| d.describe(Lang::Fr)).collect();
        println!("{flag}{} {state}{due}", s.id);
        if !duties.is_empty() {
            println!("    à faire / to do: {}", duties.join(" ; "));
        }
    }
    for d in &listing.damaged {
        println!("ILLISIBLE / UNREADABLE {}: {}", d.id, d.reason);
    }
}

fn print_report(r: &SendReport) -> ExitCode {
    println!(
        "{} ({}) : {} ajoutés, {} envoyés, {} échecs ; total {} envoyés, {} en attente, {} en échec ({} définitifs, non réessayés)\n\
         {} ({}): {} listed, {} sent, {} failed; total {} sent, {} pending, {} failed ({} permanent, not retried)",
        r.breach,
        r.audience,
        r.listed,
        r.sent,
        r.failed,
        r.total_sent,
        r.total_pending,
        r.total_failed,
        r.total_permanent,
        r.breach,
        r.audience,
        r.listed,
        r.sent,
        r.failed,
        r.total_sent,
        r.total_pending,
        r.total_failed,
        r.total_permanent,
    );
    if r.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// What the breach did to retention: holds placed, records linked (stderr,
/// like the other side notes; stdout keeps the breach id).
fn print_effects(e: &IncidentEffects) {
    for h in &e.holds {
        eprintln!(
            "{c} : conservation suspendue (gel {h}) tant que la violation est ouverte / {c}: retention suspended (hold {h}) while the breach is open",
            c = h.category,
            h = h.hold
        );
    }
    for l in &e.linked {
        eprintln!(
            "{c} : {n} enregistrements liés à l'incident ({a} déjà liés), conservés pour la durée « incident » / {c}: {n} records linked to the incident ({a} already), kept for the incident period",
            c = l.category,
            n = l.linked,
            a = l.already
        );
    }
    if let Some(why) = &e.not_linked {
        eprintln!("{why}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_nature_is_refused_with_the_choices() {
        let o = OpenArgs {
            file: None,
            aware: Some(DateTime::<Utc>::UNIX_EPOCH),
            detected: None,
            nature: vec!["leak".into()],
            description_fr: Some("x".into()),
            description_en: None,
            service: vec![],
            category: vec![],
            subject_categories: vec![],
            system: vec![],
            from: None,
            to: None,
            ongoing: false,
            established: false,
            impact: false,
        };
        let err = new_breach(&o).expect_err("refused").to_string();
        assert!(
            err.contains("confidentiality, integrity or availability"),
            "{err}"
        );
    }
}
