//! `habeas requests …`: data-subject requests from receipt to answer (GDPR
//! Art. 12–22) on the project's vault — receive (and acknowledge by mail),
//! list by urgency, verify identity by a code mailed to the contact on
//! file, move through the workflow, and produce the answers: access and
//! portability exports, erasure, rectification.
//!
//! The rules live in `habeas-rights` (service, exports, plans) and
//! `habeas_rights::vault_bridge` (vault reads, erasure, notices); this
//! module parses arguments, wires the mailer from `habeas.toml` and prints.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow, bail};
use habeas_core::clock::{Clock, SystemClock};
use habeas_core::lang::Lang;
use habeas_core::rights::{IdentityProof, RefusalReason, RequestKind, Urgency};
use habeas_core::settings::{DEFAULT_OUTBOX, Settings};
use habeas_engine::{Vault, project};
use habeas_notify::{Mailer, MailerConfig};
use habeas_rights::erasure::ErasureRequest;
use habeas_rights::export::json::{access_json, portability_json};
use habeas_rights::export::{access_csv_zip, access_html, portability_csv_zip};
use habeas_rights::service::{
    NewRequest, RequestChannel, RequestService, RequestView, ServiceConfig,
};
use habeas_rights::vault_bridge::{self, Notifier};

use super::Global;
use super::register::LangArg;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Language of the output.
    #[arg(long, value_enum, default_value_t = LangArg::Fr, global = true)]
    pub lang: LangArg,
    #[command(subcommand)]
    pub command: RequestsCommand,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Json,
    Csv,
    Html,
}

#[derive(Debug, clap::Subcommand)]
pub enum RequestsCommand {
    /// Receive a request now and mail the acknowledgment to the contact on file.
    New {
        /// access, rectification, erasure, restriction, portability, objection, consent_withdrawal.
        #[arg(long)]
        kind: String,
        /// The requester's e-mail address as on file (the subject is found by it).
        #[arg(long, conflicts_with = "subject")]
        email: Option<String>,
        /// The subject's vault id (`sub_…`), when already known.
        #[arg(long)]
        subject: Option<String>,
        /// With --subject: the vault field holding the contact (`<category>.<field>`).
        #[arg(long, requires = "subject")]
        contact: Option<String>,
        /// email, portal, api, post, phone, in_person.
        #[arg(long, default_value = "email")]
        channel: String,
        /// Do not send the acknowledgment (it was given another way).
        #[arg(long)]
        no_mail: bool,
    },
    /// Open requests, most urgent first (overdue and due-soon flagged).
    List,
    /// One request: stage, both deadlines, history.
    Show { id: String },
    /// Mail a single-use identity code to the contact on file (Art. 12(6)).
    SendCode { id: String },
    /// Check the code the requester gives back.
    Verify { id: String, code: String },
    /// Record another proof of identity (session, document).
    Proof {
        id: String,
        /// session or document.
        #[arg(long)]
        method: String,
        /// Who checked it.
        #[arg(long)]
        by: String,
        /// Why this proof is proportionate (required for document).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Work starts (identity verified).
    Start { id: String },
    /// The answer was given; the subject is told by mail.
    Done {
        id: String,
        /// For a restriction (Art. 18) or objection (Art. 21) request: the
        /// declared activities it applies to (comma-separated); the vault then
        /// refuses every read and write for them (`habeas limits` lifts them).
        #[arg(long, value_delimiter = ',')]
        purposes: Vec<String>,
    },
    /// Refuse with a reason (Art. 12(4)); the subject is told by mail, with the remedies.
    Refuse {
        id: String,
        /// manifestly_unfounded, excessive, cannot_identify, erasure_exemption:<x>, not_portable, other:<ground>…
        #[arg(long)]
        reason: String,
        /// What the subject reads.
        #[arg(long)]
        explanation: String,
    },
    /// Extend by one or two months (Art. 12(3)); the subject is told by mail.
    Extend {
        id: String,
        #[arg(long)]
        months: u32,
        #[arg(long)]
        justification: String,
    },
    /// The answer of a verified access or portability request.
    Export {
        id: String,
        #[arg(long, value_enum, default_value_t = ExportFormat::Json)]
        format: ExportFormat,
        /// Write to FILE instead of stdout.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Plan and run the erasure of a verified erasure request (Art. 17).
    Erase {
        id: String,
        /// The request closes the account: the declared grace period applies first.
        #[arg(long)]
        account_closure: bool,
        /// Show the plan only.
        #[arg(long)]
        dry_run: bool,
    },
    /// Rectify one record on a verified rectification request (Art. 16).
    Rectify {
        id: String,
        #[arg(long)]
        category: String,
        #[arg(long)]
        record: String,
        /// field=value, repeatable.
        #[arg(long = "set", value_name = "FIELD=VALUE", required = true)]
        set: Vec<String>,
        /// The code mailed to a critical identifier's new value (second run).
        #[arg(long)]
        code: Option<String>,
    },
}

/// Everything a rights command needs, opened once.
pub(crate) struct Desk {
    pub vault: Vault,
    pub clock: SystemClock,
    pub mailer: Box<dyn Mailer>,
    pub config: ServiceConfig,
}

/// The mailer of `habeas.toml`'s `[mail]`, or an outbox under the data
/// directory (created on first use) so nothing leaves the machine.
pub(crate) fn mailer_for(
    dir: &Path,
    settings: &Settings,
    vault: &Vault,
) -> anyhow::Result<Box<dyn Mailer>> {
    let decls = vault.declarations();
    let config = match &settings.mail {
        Some(m) => {
            let url = m.url.get_ref();
            let url = match url.strip_prefix("outbox:") {
                Some(p) if Path::new(p).is_relative() => {
                    let path = dir.join(p);
                    std::fs::create_dir_all(&path)
                        .with_context(|| format!("creating the outbox {}", path.display()))?;
                    format!("outbox:{}", path.display())
                }
                _ => url.clone(),
            };
            MailerConfig {
                url,
                from: m.from.get_ref().clone(),
                reply_to: m.reply_to.clone(),
                username: m.username.clone(),
                password_env: m.password_env.clone(),
                password_file: m.password_file.as_ref().map(PathBuf::from),
                timeout_secs: m.timeout_secs.unwrap_or(30),
                ca_file: None,
                insecure_plaintext: m.insecure_plaintext,
            }
        }
        None => {
            let path = settings.data_dir(dir).join(DEFAULT_OUTBOX);
            std::fs::create_dir_all(&path)
                .with_context(|| format!("creating the outbox {}", path.display()))?;
            let from = decls
                .rights()
                .and_then(|r| r.contact_email.as_ref().map(|e| e.get_ref().clone()))
                .or_else(|| {
                    decls
                        .organisation()
                        .and_then(|o| o.email.as_ref().map(|e| e.get_ref().clone()))
                })
                .unwrap_or_else(|| "privacy@localhost.localdomain".into());
            MailerConfig {
                url: format!("outbox:{}", path.display()),
                from,
                reply_to: None,
                username: None,
                password_env: None,
                password_file: None,
                timeout_secs: 30,
                ca_file: None,
                insecure_plaintext: false,
            }
        }
    };
    config
        .build()
        .map_err(|e| anyhow!("habeas.toml [mail]: {e}"))
}

/// Give the HTTP server its rights mailer and code key (`habeas serve`).
pub(crate) fn install_rights_api(
    dir: &Path,
    settings: &Settings,
    vault: &Vault,
) -> anyhow::Result<()> {
    let mailer = mailer_for(dir, settings, vault)?;
    let caller = vault_bridge::rights_caller("server");
    let code_key = vault_bridge::code_key(vault, &caller)?;
    // Requests stored by an earlier version are filed under their subject
    // once, so that no portal page or export reads every request.
    let filed = RequestService::new(
        &vault.docs(caller),
        &SystemClock,
        vault.declarations(),
        ServiceConfig::new(code_key.clone()),
    )
    .file_requests()
    .context("filing the stored rights requests under their subject")?;
    if filed > 0 {
        tracing::info!(filed, "rights requests filed under their subject");
    }
    habeas_web::rights::install(habeas_web::rights::RightsSetup { mailer, code_key });
    Ok(())
}

impl Desk {
    pub(crate) fn open(dir: &Path) -> anyhow::Result<Desk> {
        let (vault, settings) = project::open_project_and_settings(dir)?;
        let mailer = mailer_for(dir, &settings, &vault)?;
        let key = vault_bridge::code_key(&vault, &vault_bridge::rights_caller("cli"))?;
        Ok(Desk {
            vault,
            clock: SystemClock,
            mailer,
            config: ServiceConfig::new(key),
        })
    }

    pub(crate) fn service(&self) -> RequestService<'_> {
        RequestService::new(
            &self.vault,
            &self.clock,
            self.vault.declarations(),
            self.config.clone(),
        )
    }
}

fn day(at: chrono::DateTime<chrono::Utc>) -> String {
    habeas_core::rights::deadline::local_display(at)
}

fn flag(v: &RequestView, lang: Lang) -> &'static str {
    match v.urgency {
        Some(Urgency::Overdue) => lang.pick("EN RETARD", "OVERDUE"),
        Some(Urgency::DueSoon) => lang.pick("BIENTÔT DUE", "DUE SOON"),
        Some(Urgency::OnTrack) => lang.pick("dans les temps", "on track"),
        None => "-",
    }
}

fn print_view(v: &RequestView, lang: Lang) {
    println!("{}\t{}", v.id, v.kind.label(lang));
    println!(
        "  {}: {} (v{})",
        lang.pick("étape", "stage"),
        v.stage.key(),
        v.version
    );
    println!(
        "  {}: {}",
        lang.pick("reçue le", "received"),
        day(v.received_at)
    );
    println!(
        "  {}: {} ({}: {})",
        lang.pick(
            "délai légal (art. 12(3) RGPD)",
            "statutory deadline (GDPR Art. 12(3))"
        ),
        v.effective_deadline.legal,
        lang.pick("visé", "aim for"),
        v.effective_deadline.conservative
    );
    match (&v.promised_delay, v.promised_due) {
        (Some(d), Some(due)) => println!(
            "  {}: {} → {}",
            lang.pick("délai promis", "promised delay"),
            d,
            day(due)
        ),
        _ => println!("  {}: -", lang.pick("délai promis", "promised delay")),
    }
    println!("  {}: {}", lang.pick("urgence", "urgency"), flag(v, lang));
    println!(
        "  {}: {}",
        lang.pick("personne concernée", "subject"),
        v.subject.as_deref().unwrap_or("-")
    );
    println!(
        "  {}: {}",
        lang.pick("identité vérifiée", "identity verified"),
        v.identity_verified_at.map_or_else(|| "-".into(), day)
    );
    for h in &v.history {
        println!("  · {}", serde_json::to_string(h).unwrap_or_default());
    }
}

fn parse_kind(kind: &str) -> anyhow::Result<RequestKind> {
    kind.parse().map_err(|e| anyhow!("--kind: {e}"))
}

fn linked_subject(v: &RequestView) -> anyhow::Result<String> {
    v.subject.clone().ok_or_else(|| {
        anyhow!(
            "request {} is not linked to a subject / la demande {} n'est liée à aucune personne",
            v.id,
            v.id
        )
    })
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let lang: Lang = args.lang.into();
    let desk = Desk::open(&global.dir)?;
    let service = desk.service();
    let caller = vault_bridge::rights_caller("cli");
    let decls = desk.vault.declarations();
    let notifier = Notifier::new(desk.mailer.as_ref(), decls);
    match args.command {
        RequestsCommand::New {
            kind,
            email,
            subject,
            contact,
            channel,
            no_mail,
        } => {
            let kind = parse_kind(&kind)?;
            let channel: RequestChannel = channel.parse().map_err(|e| anyhow!("--channel: {e}"))?;
            let (subject, contact_ref) = match (email, subject) {
                (Some(address), None) => {
                    let found = desk.vault.find(&caller, "email", &address)?;
                    let [subject] = found.as_slice() else {
                        match found.len() {
                            0 => bail!(
                                "aucune personne du coffre n'a cette adresse : vérifiez-la, ou indiquez --subject et --contact / no subject holds this address in the vault: check it, or give --subject and --contact"
                            ),
                            n => bail!(
                                "{n} personnes du coffre ont cette adresse : indiquez --subject et --contact / {n} subjects hold this address in the vault: give --subject and --contact"
                            ),
                        }
                    };
                    let contact =
                        vault_bridge::contact_ref_for(&desk.vault, &caller, subject, &address)?;
                    (subject.clone(), contact)
                }
                (None, Some(subject)) => {
                    let contact = match contact {
                        Some(c) => format!("vault:{c}"),
                        None => vault_bridge::default_contact_ref(&desk.vault, &caller, &subject)?,
                    };
                    (subject, contact)
                }
                _ => bail!(
                    "indiquez --email ADRESSE ou --subject ID / give --email ADDRESS or --subject ID"
                ),
            };
            let view = service.create(NewRequest {
                kind,
                channel,
                subject: Some(subject.clone()),
                contact_ref: contact_ref.clone(),
            })?;
            let view = if no_mail {
                service.acknowledge(&view.id, view.version)?
            } else {
                let to =
                    vault_bridge::resolve_contact(&desk.vault, &caller, &subject, &contact_ref)?;
                notifier.acknowledgment(&view, to, None, decls)?;
                let v = service.acknowledge(&view.id, view.version)?;
                eprintln!(
                    "{}",
                    lang.pick("accusé de réception envoyé", "acknowledgment sent")
                );
                v
            };
            println!("{}", view.id);
            print_view(&view, lang);
        }
        RequestsCommand::List => {
            let open = service.list_open()?;
            if open.is_empty() {
                println!("{}", lang.pick("aucune demande ouverte", "no open request"));
            }
            for v in open {
                println!(
                    "{}\t{}\t{}\t{}\t{}: {}\t{}: {}",
                    flag(&v, lang),
                    v.id,
                    v.kind.key(),
                    v.stage.key(),
                    lang.pick("échéance", "due"),
                    v.next_due.map_or_else(|| "-".into(), |d| day(d.at)),
                    lang.pick("délai légal", "statutory"),
                    v.effective_deadline.legal,
                );
            }
        }
        RequestsCommand::Show { id } => print_view(&service.get(&id)?, lang),
        RequestsCommand::SendCode { id } => {
            let v = service.get(&id)?;
            let subject = linked_subject(&v)?;
            let to = vault_bridge::resolve_contact(&desk.vault, &caller, &subject, &v.contact_ref)?;
            let (v, code) = service.issue_identity_code(&id, v.version)?;
            notifier.code(&v, &code, to, None)?;
            println!(
                "{} ({} {})",
                lang.pick(
                    "code envoyé au contact enregistré",
                    "code sent to the contact on file"
                ),
                lang.pick("valable jusqu'au", "valid until"),
                day(code.expires_at)
            );
        }
        RequestsCommand::Verify { id, code } => {
            let v = service.verify_identity_code(&id, &code)?;
            println!("{}", lang.pick("identité vérifiée", "identity verified"));
            print_view(&v, lang);
        }
        RequestsCommand::Proof {
            id,
            method,
            by,
            reason,
        } => {
            let v = service.get(&id)?;
            let method = method.parse().map_err(|e| anyhow!("--method: {e}"))?;
            let v = service.record_identity_proof(
                &id,
                v.version,
                IdentityProof {
                    method,
                    verified_by: by,
                    reason,
                },
                desk.clock.now(),
            )?;
            print_view(&v, lang);
        }
        RequestsCommand::Start { id } => {
            let v = service.get(&id)?;
            print_view(&service.start(&id, v.version)?, lang);
        }
        RequestsCommand::Done { id, purposes } => {
            let v = service.get(&id)?;
            apply_limits(&desk.vault, &caller, &v, &purposes)?;
            let v = service.complete(&id, v.version)?;
            print_view(&v, lang);
            tell_subject(&desk, &v, lang, |to| notifier.done(&v, None, to, None))?;
        }
        RequestsCommand::Refuse {
            id,
            reason,
            explanation,
        } => {
            let v = service.get(&id)?;
            let reason: RefusalReason = reason.parse().map_err(|e| anyhow!("--reason: {e}"))?;
            let v = service.refuse(&id, v.version, reason.clone(), &explanation)?;
            print_view(&v, lang);
            tell_subject(&desk, &v, lang, |to| {
                notifier.refused(&v, reason, &explanation, to, None)
            })?;
        }
        RequestsCommand::Extend {
            id,
            months,
            justification,
        } => {
            let v = service.get(&id)?;
            let now = desk.clock.now();
            let v = service.extend(&id, v.version, months, &justification, now)?;
            print_view(&v, lang);
            tell_subject(&desk, &v, lang, |to| {
                notifier.extended(&v, &justification, to, None)
            })?;
        }
        RequestsCommand::Export { id, format, output } => {
            let v = service.get(&id)?;
            let subject = linked_subject(&v)?;
            let held =
                vault_bridge::holdings(&desk.vault, &caller, &desk.vault, &desk.clock, &subject)?;
            let bytes = match v.kind {
                RequestKind::Access => {
                    let export = service.access_export(&id, &held, lang)?;
                    match format {
                        ExportFormat::Json => access_json(&export)?,
                        ExportFormat::Csv => access_csv_zip(&export)?,
                        ExportFormat::Html => access_html(&export).into_bytes(),
                    }
                }
                RequestKind::Portability => {
                    let export = service.portability_export(&id, &held)?;
                    match format {
                        ExportFormat::Json => portability_json(&export)?,
                        ExportFormat::Csv => portability_csv_zip(&export)?,
                        ExportFormat::Html => bail!(
                            "portability answers are machine-readable (Art. 20(1)): use --format json or csv"
                        ),
                    }
                }
                other => bail!(
                    "request {id} is a `{}` request: only access and portability requests are exported",
                    other.key()
                ),
            };
            write_out(output.as_deref(), &bytes)?;
        }
        RequestsCommand::Erase {
            id,
            account_closure,
            dry_run,
        } => {
            let v = service.get(&id)?;
            let subject = linked_subject(&v)?;
            // Metadata is enough to plan: nothing is decrypted (issue 4).
            let held = vault_bridge::held_categories(&desk.vault, &caller, &subject)?;
            let plan = service.erasure_plan_of(
                &id,
                &subject,
                &held,
                &ErasureRequest {
                    requested_at: v.received_at,
                    account_closure,
                    dates: Default::default(),
                    legal_holds: Vec::new(),
                },
            )?;
            println!("{}", plan.describe(decls, lang));
            if dry_run {
                return Ok(ExitCode::SUCCESS);
            }
            let outcome =
                vault_bridge::execute_erasure(&desk.vault, &caller, &plan, desk.clock.now())?;
            println!("{}", serde_json::to_string_pretty(&outcome)?);
        }
        RequestsCommand::Rectify {
            id,
            category,
            record,
            set,
            code,
        } => {
            let v = service.get(&id)?;
            let subject = linked_subject(&v)?;
            let mut changes = BTreeMap::new();
            for pair in set {
                let (f, value) = pair
                    .split_once('=')
                    .ok_or_else(|| anyhow!("--set expects FIELD=VALUE"))?;
                changes.insert(f.trim().to_string(), value.to_string());
            }
            let (_, current) =
                vault_bridge::record_fields(&desk.vault, &caller, &subject, &category, &record)?;
            let plan = match code {
                None => {
                    let (plan, codes, version) = service.rectification_plan(
                        &id, v.version, &subject, &category, &record, &current, &changes,
                    )?;
                    if !codes.is_empty() {
                        // Art. 16 with Art. 5(1)(d): a new e-mail address
                        // changes only once its holder proves it is theirs.
                        let v = service.get(&id)?;
                        debug_assert_eq!(v.version, version);
                        for issued in &codes {
                            let field = issued
                                .field
                                .as_deref()
                                .and_then(|k| k.split_once('.'))
                                .map(|(_, f)| f)
                                .unwrap_or_default();
                            let to = changes
                                .get(field)
                                .map(|s| s.trim())
                                .unwrap_or_default()
                                .parse()
                                .map_err(|_| {
                                    anyhow!("the new value of `{field}` is not an e-mail address")
                                })?;
                            notifier.code(&v, issued, to, None)?;
                        }
                        println!(
                            "{}",
                            lang.pick(
                                "un code a été envoyé à la nouvelle adresse : relancez la commande avec --code CODE",
                                "a code was sent to the new address: run the command again with --code CODE"
                            )
                        );
                        return Ok(ExitCode::from(3));
                    }
                    plan
                }
                Some(code) => {
                    let plan = habeas_rights::rectification::plan_rectification(
                        decls, &category, &record, &current, &changes,
                    )?;
                    for change in plan.needing_new_value_verification() {
                        service.confirm_new_value(
                            &id,
                            &category,
                            &change.field,
                            &change.new_value,
                            &code,
                        )?;
                    }
                    plan
                }
            };
            let ready = service.rectification_ready(&id, &plan)?;
            vault_bridge::apply_rectification(&desk.vault, &caller, &subject, &plan, ready)?;
            println!(
                "{} ({} {})",
                lang.pick("rectification appliquée", "rectification applied"),
                plan.changes.len(),
                lang.pick("champ(s)", "field(s)")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Mail the subject about a step already recorded (Art. 12(3)–(4)); a
/// failure says the step stands and the notice must be given another way.
fn tell_subject(
    desk: &Desk,
    v: &RequestView,
    lang: Lang,
    send: impl FnOnce(
        habeas_notify::MailAddress,
    ) -> Result<habeas_notify::MessageId, vault_bridge::BridgeError>,
) -> anyhow::Result<()> {
    let Some(subject) = &v.subject else {
        return Ok(());
    };
    let caller = vault_bridge::rights_caller("cli");
    let sent =
        vault_bridge::resolve_contact(&desk.vault, &caller, subject, &v.contact_ref).and_then(send);
    match sent {
        Ok(_) => {
            eprintln!(
                "{}",
                lang.pick(
                    "la personne a été informée par courriel",
                    "the subject was told by e-mail"
                )
            );
            Ok(())
        }
        Err(e) => Err(anyhow!(
            "request {} is recorded as `{}`, but the notice to the subject was not sent ({e}); tell them another way / étape enregistrée, courriel non envoyé",
            v.id,
            v.stage.key()
        )),
    }
}

pub(crate) fn write_out(output: Option<&Path>, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    match output {
        Some(path) => {
            std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
        }
        None => std::io::stdout()
            .write_all(bytes)
            .context("writing to stdout"),
    }
}

/// A restriction or objection request is carried out by recording the
/// limits the vault enforces (Art. 18(1), 21(1)–(3)); other kinds take no
/// purposes. Checked before the request is marked done, so nothing is
/// completed that the vault does not enforce.
fn apply_limits(
    vault: &Vault,
    caller: &habeas_engine::Caller,
    request: &habeas_rights::service::RequestView,
    purposes: &[String],
) -> anyhow::Result<()> {
    use habeas_rights::request_limits::{LimitsError, apply_request_limits};
    apply_request_limits(vault, caller, request, purposes).map_err(|e| match e {
        LimitsError::Engine(e) => e.into(),
        e => anyhow!(
            "--purposes: {} / {}",
            e.describe(Lang::Fr),
            e.describe(Lang::En)
        ),
    })
}
