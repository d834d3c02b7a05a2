//! `habeas`: the one binary. Parses the command line, then hands over to the
//! command's module in `cli/`. No domain logic lives here.

mod cli;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc instead of glibc's malloc: allocation was 8–25 % of the vault's
/// CPU samples (docs/benchmarks-vault.md, session 10).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Habeas: keep a provider's privacy promises, and prove it.
#[derive(Debug, Parser)]
#[command(name = "habeas", version, about, long_about = None)]
struct Cli {
    /// Run as if started in DIR (the project directory holding habeas.toml).
    #[arg(
        short = 'C',
        long = "dir",
        global = true,
        default_value = ".",
        value_name = "DIR"
    )]
    dir: PathBuf,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a ready-to-edit project directory (habeas.toml + declarations).
    Init(cli::init::Args),
    /// Validate the declarations; exits non-zero on errors.
    Check(cli::check::Args),
    /// Render the Art. 30 register of processing activities.
    Register(cli::register::RegisterArgs),
    /// The privacy notice: render it from the declarations, or publish, list, show, announce versions.
    Notice(cli::register::NoticeArgs),
    /// Render the security assurance summary.
    Assurance(cli::register::AssuranceArgs),
    /// Run Habeas on the bundled demo provider.
    Demo(cli::demo::Args),
    /// Find personal data in files, mailboxes and documents.
    Scan(cli::scan::Args),
    /// Mail privacy lists: allow / deny / personal correspondents, Sieve, filter.
    Mail(cli::mail::Args),
    /// Start the server: JSON API, portal /portail, console /console (127.0.0.1:8080 by default).
    Serve(cli::serve::Args),
    /// Application tokens scoped to purposes: create, list, revoke.
    Token(cli::token::Args),
    /// A subject's restrictions and objections (Art. 18, 21), enforced by the vault: show, restrict, lift, object, override, withdraw.
    Limits(cli::limits::Args),
    /// Data subjects: find one by an identifier, date a retention event (contract end, account closure…).
    Subject(cli::subject::Args),
    /// Staff accounts for the console: add, list, disable, enable, reset, roles.
    Staff(cli::staff::Args),
    /// Bulk-load records from JSON Lines or CSV into the vault.
    Import(cli::import::Args),
    /// The audit journal: verify, retention.
    Audit(cli::audit::Args),
    /// Key management: rotate the key-encryption key.
    Keys(cli::keys::Args),
    /// Aggregated statistics over a category that single nobody out (cells of few subjects withheld).
    Stats(cli::stats::Args),
    /// Benchmarks (build with --release).
    Bench(cli::bench::Args),
    /// Data-subject requests: receive, verify, answer (access, erasure, rectification…).
    Requests(cli::requests::Args),
    /// The consent ledger: give, withdraw, show, proof.
    Consent(cli::consent::Args),
    /// The breach register: open, update, list, notify the authority, subjects and controllers.
    Breach(cli::breach::Args),
    /// Sub-processor changes between two versions of the declarations, and the notices owed.
    Subprocessors(cli::subprocessors::Args),
    /// Retention: purge what is due now (--dry-run: what would go, and when).
    Purge(cli::purge::Args),
    /// Legal holds that suspend the purge: add, list, release.
    Hold(cli::hold::Args),
    /// Encrypted backups: create, list, verify, restore, rotate.
    Backup(cli::backup::Args),
}

fn main() -> ExitCode {
    no_core_dumps();
    let cli = Cli::parse();
    if ends_quietly_on_a_closed_pipe(&cli.command) {
        default_sigpipe();
    }
    cli::init_logging();
    let global = cli::Global { dir: cli.dir };
    let result = match cli.command {
        Command::Init(args) => cli::init::run(&global, args),
        Command::Check(args) => cli::check::run(&global, args),
        Command::Register(args) => cli::register::run_register(&global, args),
        Command::Notice(args) => cli::register::run_notice(&global, args),
        Command::Assurance(args) => cli::register::run_assurance(&global, args),
        Command::Demo(args) => cli::demo::run(&global, args),
        Command::Scan(args) => cli::scan::run(&global, args),
        Command::Mail(args) => cli::mail::run(&global, args),
        Command::Serve(args) => cli::serve::run(&global, args),
        Command::Token(args) => cli::token::run(&global, args),
        Command::Limits(args) => cli::limits::run(&global, args),
        Command::Subject(args) => cli::subject::run(&global, args),
        Command::Staff(args) => cli::staff::run(&global, args),
        Command::Import(args) => cli::import::run(&global, args),
        Command::Audit(args) => cli::audit::run(&global, args),
        Command::Keys(args) => cli::keys::run(&global, args),
        Command::Stats(args) => cli::stats::run(&global, args),
        Command::Bench(args) => cli::bench::run(&global, args),
        Command::Requests(args) => cli::requests::run(&global, args),
        Command::Consent(args) => cli::consent::run(&global, args),
        Command::Breach(args) => cli::breach::run(&global, args),
        Command::Subprocessors(args) => cli::subprocessors::run(&global, args),
        Command::Purge(args) => cli::purge::run(&global, args),
        Command::Hold(args) => cli::hold::run(&global, args),
        Command::Backup(args) => cli::backup::run(&global, args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            // The whole cause chain on one line, each cause once.
            eprintln!("error: {}", cli::error_line(&err));
            ExitCode::from(2)
        }
    }
}

/// Whether a command that finds its output closed (`habeas scan … | head`)
/// should end there, as `grep` and `cat` do. Rust ignores SIGPIPE, so a
/// write to a closed pipe is an error, which `println!` turns into a panic.
/// Not for the servers (a client's closed socket must not stop them) nor
/// for backups (a restore writes to `psql`'s input: if it dies, the restore
/// must report an error, not vanish).
fn ends_quietly_on_a_closed_pipe(command: &Command) -> bool {
    !matches!(
        command,
        Command::Serve(_) | Command::Demo(_) | Command::Backup(_) | Command::Bench(_)
    )
}

#[cfg(unix)]
#[allow(unsafe_code)]
fn default_sigpipe() {
    // SAFETY: `signal` only changes this process's disposition of SIGPIPE to
    // the default (terminate). It is called at the start of `main`, before
    // any thread exists, so no other thread can be installing a handler at
    // the same time; no Rust code runs as a handler (SIG_DFL is not a
    // function), so no Rust invariant can be broken in one.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(unix))]
fn default_sigpipe() {}

/// Keep the process's memory out of core files and debuggers of the same
/// user: it holds the key-encryption key, the blind-index and journal keys,
/// unwrapped data keys and decrypted records, and a crash's core file would
/// write them to disk in clear, outside every key store and crypto-shredding
/// guarantee (RELIABILITY.md T24; SPEC C2). `RLIMIT_CORE` 0 (soft and hard:
/// a core file is never written) and `PR_SET_DUMPABLE` 0 (no core, and only
/// a privileged user may attach a debugger or read `/proc/<pid>/mem`).
/// Applied before anything is read, for every command.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn no_core_dumps() {
    let none = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `setrlimit` reads the `rlimit` behind a pointer to a live,
    // initialised local for the duration of the call and keeps nothing;
    // `prctl(PR_SET_DUMPABLE, 0)` takes integers only. Neither touches memory
    // Rust owns, and both only lower this process's own limits. Their results
    // are not needed: a failure leaves the defaults, no worse than before.
    unsafe {
        libc::setrlimit(libc::RLIMIT_CORE, &none);
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
    }
}

#[cfg(not(target_os = "linux"))]
fn no_core_dumps() {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    /// The key material a crash would leave in a core file: none is written.
    #[test]
    #[allow(unsafe_code)]
    fn the_process_writes_no_core_file_and_cannot_be_dumped() {
        super::no_core_dumps();
        let mut core = libc::rlimit {
            rlim_cur: 1,
            rlim_max: 1,
        };
        // SAFETY: `getrlimit` writes into a live, initialised local and keeps
        // no pointer; `prctl(PR_GET_DUMPABLE)` takes no pointer.
        let (read, dumpable) = unsafe {
            (
                libc::getrlimit(libc::RLIMIT_CORE, &mut core),
                libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0),
            )
        };
        assert_eq!(read, 0, "getrlimit");
        assert_eq!((core.rlim_cur, core.rlim_max), (0, 0), "no core file, ever");
        assert_eq!(dumpable, 0, "not dumpable");
    }
}
