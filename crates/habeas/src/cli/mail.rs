//! `habeas mail …`: the mail privacy lists of SPEC C12 (allow / deny /
//! personal correspondents), their Sieve scripts, the delivery filter and the
//! hand-over or destruction of a leaving user's personal mail.
//!
//! All logic lives in `habeas-mail`; this module parses arguments, opens the
//! project's vault, where the lists live (category `mail_lists`, sealed and
//! journaled: `habeas_mail::vault_store`), and maps outcomes to exit codes.
//! Lists left in plaintext files by earlier versions (`data/mail-lists/`) are
//! moved into the vault, then deleted, the first time a mail command runs.

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Subcommand, ValueEnum};
use habeas_engine::{Caller, Vault, project};
use habeas_mail::csv_io;
use habeas_mail::entry::{Entry, Normalise};
use habeas_mail::lists::{DEFAULT_REJECT_MESSAGE, DEFAULT_SUBJECT_TAG};
use habeas_mail::maildir;
use habeas_mail::sieve;
use habeas_mail::vault_store::VaultListStore;
use habeas_mail::{
    DenyAction, FileStore, FilterAction, FilterOptions, ListKind, MailListStore, UserLists,
    filter_message, user_key,
};

type Store<'v> = VaultListStore<'v>;

use super::Global;

/// sysexits.h: temporary failure, the MTA retries later.
const EX_TEMPFAIL: u8 = 75;
/// sysexits.h: permission denied, the MTA bounces with our message.
const EX_NOPERM: u8 = 77;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: MailCommand,
}

#[derive(Debug, Subcommand)]
enum MailCommand {
    /// Gérer les listes / manage the allow, deny and perso lists.
    #[command(subcommand)]
    List(ListCommand),
    /// Afficher ou changer les réglages / show or change a user's settings.
    Settings(SettingsArgs),
    /// Écrire le script Sieve géré / write the provider-managed Sieve script(s).
    Sieve(SieveArgs),
    /// Filtrer un message lu sur l'entrée standard / filter one message read on stdin.
    Filter(FilterArgs),
    /// Remettre ou détruire le courrier personnel / hand over or destroy personal mail.
    #[command(subcommand)]
    Perso(PersoCommand),
}

#[derive(Debug, clap::Args)]
struct EntryFlags {
    /// Address or @domain to put in the allow list (repeatable).
    #[arg(long, value_name = "ADDRESS")]
    allow: Vec<String>,
    /// Address or @domain to put in the deny list (repeatable).
    #[arg(long, value_name = "ADDRESS")]
    deny: Vec<String>,
    /// Personal correspondent address or @domain (repeatable).
    #[arg(long, value_name = "ADDRESS")]
    perso: Vec<String>,
}

impl EntryFlags {
    fn all(&self) -> Vec<(ListKind, &str)> {
        let mut out = Vec::new();
        for (kind, values) in [
            (ListKind::Allow, &self.allow),
            (ListKind::Deny, &self.deny),
            (ListKind::Perso, &self.perso),
        ] {
            out.extend(values.iter().map(|v| (kind, v.as_str())));
        }
        out
    }
}

#[derive(Debug, Subcommand)]
enum ListCommand {
    /// Ajouter des entrées (tout ou rien) / add entries (all or nothing).
    Add {
        user: String,
        #[command(flatten)]
        entries: EntryFlags,
    },
    /// Retirer des entrées (tout ou rien) / remove entries (all or nothing).
    Rm {
        user: String,
        #[command(flatten)]
        entries: EntryFlags,
    },
    /// Afficher les listes / show the lists.
    Show {
        user: String,
        /// JSON (the form used in access exports).
        #[arg(long)]
        json: bool,
    },
    /// Importer un CSV `list,entry` / import a `list,entry` CSV file.
    Import {
        user: String,
        file: PathBuf,
        /// Replace the lists instead of merging into them.
        #[arg(long)]
        replace: bool,
    },
    /// Exporter en CSV sur la sortie standard / export as CSV on stdout.
    Export { user: String },
    /// Effacer toutes les listes et réglages / erase all lists and settings.
    Erase {
        user: String,
        /// Really erase.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
enum TagKind {
    Keyword,
    Folder,
    Subject,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum DenyKind {
    Discard,
    Reject,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum OnOff {
    On,
    Off,
}

#[derive(Debug, clap::Args)]
struct SettingsArgs {
    user: String,
    /// How personal mail is marked (comma list): keyword (default, DKIM-safe),
    /// folder, subject (rewrites the Subject: breaks DKIM signatures).
    #[arg(long, value_delimiter = ',', value_name = "STYLE")]
    tag: Option<Vec<TagKind>>,
    /// Folder for personal mail (turns the folder style on).
    #[arg(long, value_name = "NAME")]
    folder: Option<String>,
    /// Subject tag text (turns the subject style on); default "[PERSO]".
    #[arg(long, value_name = "TEXT")]
    subject_tag: Option<String>,
    /// What to do with mail from denied senders.
    #[arg(long, value_name = "ACTION")]
    deny: Option<DenyKind>,
    /// Text of the refusal (implies --deny reject).
    #[arg(long, value_name = "TEXT")]
    reject_message: Option<String>,
    /// Fold plus sub-addresses (bob+x@ → bob@).
    #[arg(long, value_name = "on|off")]
    fold_plus: Option<OnOff>,
}

#[derive(Debug, clap::Args)]
struct SieveArgs {
    /// The mail user (omit with --all).
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    user: Option<String>,
    /// Write every user's script into --out (Dovecot sieve_before layout).
    #[arg(long, requires = "out")]
    all: bool,
    /// Output directory for --all.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct FilterArgs {
    user: String,
    /// Deliver denied mail with `X-Habeas-Class: deny` instead of dropping or
    /// refusing it.
    #[arg(long)]
    keep_denied: bool,
}

#[derive(Debug, Subcommand)]
enum PersoCommand {
    /// Copier le courrier personnel dans un mbox / copy personal mail into an mbox.
    Export {
        user: String,
        #[arg(long, value_name = "PATH")]
        maildir: PathBuf,
        #[arg(long, value_name = "FILE.mbox")]
        out: PathBuf,
    },
    /// Lister puis supprimer le courrier personnel / list then delete personal mail.
    Purge {
        user: String,
        #[arg(long, value_name = "PATH")]
        maildir: PathBuf,
        /// Really delete (without it: dry run, nothing is deleted).
        #[arg(long)]
        yes: bool,
    },
}

pub fn run(global: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let vault = match project::open_project(&global.dir) {
        Ok(vault) => vault,
        // The MTA retries later: a filter never drops mail on our failure.
        Err(e) if matches!(args.command, MailCommand::Filter(_)) => {
            eprintln!("habeas mail filter: {e}");
            return Ok(ExitCode::from(EX_TEMPFAIL));
        }
        Err(e) => return Err(e.into()),
    };
    let store = VaultListStore::new(&vault, "cli:mail", None)?;
    migrate_file_lists(&global.dir, &store)?;
    match args.command {
        MailCommand::List(command) => run_list(&store, command),
        MailCommand::Settings(args) => run_settings(&store, args),
        MailCommand::Sieve(args) => run_sieve(&store, args),
        MailCommand::Filter(args) => Ok(run_filter(&store, args)),
        MailCommand::Perso(command) => run_perso(&vault, &store, command),
    }
}

/// Moves lists kept in plaintext files by earlier versions into the vault,
/// then deletes the files (a user already in the vault keeps the vault's lists).
fn migrate_file_lists(dir: &Path, store: &Store<'_>) -> anyhow::Result<()> {
    let files = FileStore::for_project(dir);
    let legacy = files.all()?;
    if legacy.is_empty() {
        return Ok(());
    }
    let mut moved = 0;
    for lists in &legacy {
        if store.load(&lists.user)?.is_none() {
            store.save(lists)?;
            moved += 1;
        }
        files.erase(&lists.user)?;
    }
    eprintln!(
        "{moved} liste(s) d'utilisateur déplacée(s) des fichiers en clair vers le coffre chiffré / {moved} user list set(s) moved from plaintext files into the encrypted vault"
    );
    Ok(())
}

/// Journals a hand-over or destruction of personal mail (counts, never content).
fn journal_perso(
    vault: &Vault,
    store: &Store<'_>,
    action: &str,
    outcome: String,
) -> anyhow::Result<()> {
    let caller = Caller::operator("cli:mail", store.purpose().unwrap_or("mail"));
    vault.journal_admin(&caller, action, outcome)?;
    Ok(())
}

/// The mail user's address in normal form (never plus-folded: it is an account).
fn normalise_user(raw: &str) -> anyhow::Result<String> {
    let entry = Entry::parse(raw, Normalise::default())
        .map_err(|e| anyhow::anyhow!("utilisateur invalide / invalid user: {e}"))?;
    if entry.is_domain() {
        bail!(
            "l'utilisateur doit être une adresse, pas un domaine / the user must be an address, not a domain"
        );
    }
    Ok(entry.to_string())
}

fn load_existing(store: &Store<'_>, user: &str) -> anyhow::Result<UserLists> {
    store
        .load(user)?
        .with_context(|| "aucune liste pour cet utilisateur / no lists for this user".to_string())
}

fn run_list(store: &Store<'_>, command: ListCommand) -> anyhow::Result<ExitCode> {
    match command {
        ListCommand::Add { user, entries } => {
            let user = normalise_user(&user)?;
            let wanted = entries.all();
            if wanted.is_empty() {
                bail!(
                    "rien à ajouter : --allow, --deny ou --perso / nothing to add: --allow, --deny or --perso"
                );
            }
            let added = store.update(&user, |lists| -> anyhow::Result<usize> {
                for (kind, raw) in &wanted {
                    lists.add(*kind, raw)?;
                }
                Ok(wanted.len())
            })?;
            audit("list_add", added);
            eprintln!("{added} entrée(s) ajoutée(s) / {added} entry(ies) added");
            Ok(ExitCode::SUCCESS)
        }
        ListCommand::Rm { user, entries } => {
            let user = normalise_user(&user)?;
            let wanted = entries.all();
            if wanted.is_empty() {
                bail!(
                    "rien à retirer : --allow, --deny ou --perso / nothing to remove: --allow, --deny or --perso"
                );
            }
            load_existing(store, &user)?;
            let removed = store.update(&user, |lists| -> anyhow::Result<usize> {
                for (kind, raw) in &wanted {
                    lists.remove(*kind, raw)?;
                }
                Ok(wanted.len())
            })?;
            audit("list_remove", removed);
            eprintln!("{removed} entrée(s) retirée(s) / {removed} entry(ies) removed");
            Ok(ExitCode::SUCCESS)
        }
        ListCommand::Show { user, json } => {
            let user = normalise_user(&user)?;
            let lists = store
                .load(&user)?
                .unwrap_or_else(|| UserLists::new(user.clone()));
            let mut out = io::stdout().lock();
            if json {
                serde_json::to_writer_pretty(&mut out, &lists)?;
                writeln!(out)?;
            } else {
                write!(out, "{}", render_lists(&lists))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        ListCommand::Import {
            user,
            file,
            replace,
        } => {
            let user = normalise_user(&user)?;
            let bytes = fs::read(&file)
                .with_context(|| format!("lecture impossible / cannot read {}", file.display()))?;
            let summary = store.update(&user, |lists| -> anyhow::Result<_> {
                Ok(csv_io::import(lists, &bytes, replace)?)
            })?;
            audit("list_import", summary.added + summary.removed);
            eprintln!(
                "importé / imported: {} ajoutée(s)/added, {} inchangée(s)/unchanged, {} retirée(s)/removed",
                summary.added, summary.unchanged, summary.removed
            );
            Ok(ExitCode::SUCCESS)
        }
        ListCommand::Export { user } => {
            let user = normalise_user(&user)?;
            let lists = store
                .load(&user)?
                .unwrap_or_else(|| UserLists::new(user.clone()));
            io::stdout().lock().write_all(&csv_io::export(&lists))?;
            Ok(ExitCode::SUCCESS)
        }
        ListCommand::Erase { user, yes } => {
            let user = normalise_user(&user)?;
            if !yes {
                bail!("ajoutez --yes pour effacer / add --yes to erase");
            }
            let erased = store.erase(&user)?;
            audit("list_erase", usize::from(erased));
            if erased {
                eprintln!("listes effacées / lists erased");
            } else {
                eprintln!("aucune liste pour cet utilisateur / no lists for this user");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// An operator log line for each change to a user's lists, without personal
/// data (no address, no user). The audit journal entry itself (STANDARDS.md
/// §8.4) is written by the vault store with the change, in the same commit.
fn audit(action: &'static str, entries: usize) {
    tracing::info!(target: "habeas_mail::audit", action, entries, "mail lists changed");
}

fn render_lists(lists: &UserLists) -> String {
    let mut out = String::new();
    for kind in ListKind::ALL {
        let entries = lists.list(kind);
        out.push_str(&format!("{kind} ({})\n", entries.len()));
        for entry in entries {
            out.push_str(&format!("  {entry}\n"));
        }
    }
    out.push_str(&render_settings(lists));
    out
}

fn render_settings(lists: &UserLists) -> String {
    let s = &lists.settings;
    let mut styles = Vec::new();
    if s.tag.keyword {
        styles.push(format!("keyword {}", habeas_mail::lists::PERSO_KEYWORD));
    }
    if let Some(folder) = &s.tag.folder {
        styles.push(format!("folder \"{folder}\""));
    }
    if let Some(tag) = &s.tag.subject {
        styles.push(format!("subject \"{tag}\""));
    }
    let deny = match &s.deny {
        DenyAction::Discard => "discard".to_string(),
        DenyAction::Reject { message } => format!("reject \"{message}\""),
    };
    format!(
        "tag: {}\ndeny: {deny}\nfold-plus: {}\n",
        styles.join(", "),
        if s.fold_plus { "on" } else { "off" }
    )
}

fn run_settings(store: &Store<'_>, args: SettingsArgs) -> anyhow::Result<ExitCode> {
    let user = normalise_user(&args.user)?;
    let changes = args.tag.is_some()
        || args.folder.is_some()
        || args.subject_tag.is_some()
        || args.deny.is_some()
        || args.reject_message.is_some()
        || args.fold_plus.is_some();
    if !changes {
        let lists = store.load(&user)?.unwrap_or_else(|| UserLists::new(user));
        print!("{}", render_settings(&lists));
        return Ok(ExitCode::SUCCESS);
    }
    let lists = store.update(&user, |lists| -> anyhow::Result<UserLists> {
        let mut settings = lists.settings.clone();
        if let Some(tags) = &args.tag {
            let tags: BTreeSet<TagKind> = tags.iter().copied().collect();
            settings.tag.keyword = tags.contains(&TagKind::Keyword);
            settings.tag.folder = if tags.contains(&TagKind::Folder) {
                Some(
                    settings
                        .tag
                        .folder
                        .clone()
                        .unwrap_or_else(|| "Perso".to_string()),
                )
            } else {
                None
            };
            settings.tag.subject = if tags.contains(&TagKind::Subject) {
                Some(
                    settings
                        .tag
                        .subject
                        .clone()
                        .unwrap_or_else(|| DEFAULT_SUBJECT_TAG.to_string()),
                )
            } else {
                None
            };
        }
        if let Some(folder) = &args.folder {
            settings.tag.folder = Some(folder.clone());
        }
        if let Some(tag) = &args.subject_tag {
            settings.tag.subject = Some(tag.clone());
        }
        settings.deny = match (args.deny, &args.reject_message) {
            (Some(DenyKind::Discard), Some(_)) => bail!(
                "--reject-message ne va pas avec --deny discard / --reject-message does not go with --deny discard"
            ),
            (Some(DenyKind::Discard), None) => DenyAction::Discard,
            (_, Some(message)) => DenyAction::Reject {
                message: message.clone(),
            },
            (Some(DenyKind::Reject), None) => match &settings.deny {
                DenyAction::Reject { message } => DenyAction::Reject {
                    message: message.clone(),
                },
                DenyAction::Discard => DenyAction::Reject {
                    message: DEFAULT_REJECT_MESSAGE.to_string(),
                },
            },
            (None, None) => settings.deny.clone(),
        };
        if let Some(fold) = args.fold_plus {
            settings.fold_plus = matches!(fold, OnOff::On);
        }
        lists.set_settings(settings)?;
        Ok(lists.clone())
    })?;
    audit("settings_change", 1);
    print!("{}", render_settings(&lists));
    Ok(ExitCode::SUCCESS)
}

fn run_sieve(store: &Store<'_>, args: SieveArgs) -> anyhow::Result<ExitCode> {
    if let Some(user) = args.user {
        let user = normalise_user(&user)?;
        let lists = load_existing(store, &user)?;
        io::stdout()
            .lock()
            .write_all(sieve::generate(&lists).as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    }
    let out = args
        .out
        .context("--out DIR est requis avec --all / --out DIR is required with --all")?;
    let (written, removed) = write_all_scripts(store, &out)?;
    eprintln!(
        "{written} script(s) écrit(s), {removed} périmé(s) supprimé(s) dans {} / {written} script(s) written, {removed} stale removed in {}",
        out.display(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes `<sha256(user)>.sieve` for every user and removes managed scripts
/// of users who no longer have lists (erasure reaches the mail server).
fn write_all_scripts(store: &Store<'_>, out: &Path) -> anyhow::Result<(usize, usize)> {
    fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let all = store.all()?;
    let mut keep = BTreeSet::new();
    for lists in &all {
        let name = format!("{}.sieve", user_key(&lists.user));
        let path = out.join(&name);
        habeas_mail::store::write_atomically(&path, sieve::generate(lists).as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
        keep.insert(name);
    }
    let mut removed = 0;
    for entry in fs::read_dir(out)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let managed_name = name.len() == 70
            && name.ends_with(".sieve")
            && name.as_bytes()[..64].iter().all(u8::is_ascii_hexdigit);
        if !managed_name || keep.contains(&name) {
            continue;
        }
        let text = fs::read_to_string(entry.path()).unwrap_or_default();
        if text.starts_with(sieve::BANNER) {
            fs::remove_file(entry.path())?;
            let _ = fs::remove_file(out.join(name.replace(".sieve", ".svbin")));
            removed += 1;
        }
    }
    habeas_mail::store::sync_dir(out)?;
    Ok((all.len(), removed))
}

/// Postfix/procmail pipe semantics: 0 with the message on stdout; 0 with no
/// output for discard; 77 (EX_NOPERM) with the reason on stderr for reject;
/// 75 (EX_TEMPFAIL) when the lists cannot be read, so the MTA retries and no
/// mail is lost.
fn run_filter(store: &Store<'_>, args: FilterArgs) -> ExitCode {
    let user = match normalise_user(&args.user) {
        Ok(user) => user,
        Err(e) => {
            eprintln!("habeas mail filter: {e:#}");
            return ExitCode::from(EX_TEMPFAIL);
        }
    };
    let lists = match store.load(&user) {
        Ok(lists) => lists.unwrap_or_else(|| UserLists::new(user)),
        Err(e) => {
            eprintln!("habeas mail filter: {e}");
            return ExitCode::from(EX_TEMPFAIL);
        }
    };
    let mut raw = Vec::new();
    if let Err(e) = io::stdin().lock().read_to_end(&mut raw) {
        eprintln!("habeas mail filter: stdin: {e}");
        return ExitCode::from(EX_TEMPFAIL);
    }
    let outcome = filter_message(
        &lists,
        &raw,
        FilterOptions {
            keep_denied: args.keep_denied,
        },
    );
    if outcome.malformed {
        tracing::warn!(
            target: "habeas_mail::filter",
            "malformed message passed through unclassified"
        );
    }
    match outcome.action {
        FilterAction::Deliver => {
            let mut out = io::stdout().lock();
            if let Err(e) = out.write_all(&outcome.output).and_then(|()| out.flush()) {
                eprintln!("habeas mail filter: stdout: {e}");
                return ExitCode::from(EX_TEMPFAIL);
            }
            ExitCode::SUCCESS
        }
        FilterAction::Discard => ExitCode::SUCCESS,
        FilterAction::Reject { message } => {
            eprintln!("{message}");
            ExitCode::from(EX_NOPERM)
        }
    }
}

fn run_perso(vault: &Vault, store: &Store<'_>, command: PersoCommand) -> anyhow::Result<ExitCode> {
    match command {
        PersoCommand::Export { user, maildir, out } => {
            let user = normalise_user(&user)?;
            let lists = load_existing(store, &user)?;
            let found = maildir::find_perso(&maildir, &lists)?;
            let totals = maildir::export_mbox(&maildir, &found, &out)?;
            journal_perso(
                vault,
                store,
                "mail.perso.export",
                format!("messages={} bytes={}", totals.messages, totals.bytes),
            )?;
            eprintln!(
                "{} message(s) personnel(s) exporté(s) ({} octets) vers {} / {} personal message(s) exported ({} bytes) to {}",
                totals.messages,
                totals.bytes,
                out.display(),
                totals.messages,
                totals.bytes,
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        PersoCommand::Purge { user, maildir, yes } => {
            let user = normalise_user(&user)?;
            let lists = load_existing(store, &user)?;
            let found = maildir::find_perso(&maildir, &lists)?;
            let mut out = io::stdout().lock();
            for message in &found {
                writeln!(
                    out,
                    "{}\t{}\t{}",
                    message.reason.as_str(),
                    message.size,
                    message.relative.display()
                )?;
            }
            out.flush()?;
            if !yes {
                eprintln!(
                    "simulation : {} message(s) seraient supprimé(s) ; relancez avec --yes pour supprimer / dry run: {} message(s) would be deleted; run again with --yes to delete",
                    found.len(),
                    found.len()
                );
                return Ok(ExitCode::SUCCESS);
            }
            let totals = maildir::purge(&maildir, &found)?;
            journal_perso(
                vault,
                store,
                "mail.perso.purge",
                format!("messages={} bytes={}", totals.messages, totals.bytes),
            )?;
            eprintln!(
                "{} message(s) supprimé(s) ({} octets) / {} message(s) deleted ({} bytes)",
                totals.messages, totals.bytes, totals.messages, totals.bytes
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
