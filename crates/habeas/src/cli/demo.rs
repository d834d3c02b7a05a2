//! `habeas demo`: bring the bundled demo provider (Hébergix SAS,
//! `examples/hosting-provider`) to life. It renders everything Habeas
//! produces from the declarations into a folder (the register in both views,
//! every format and both languages, the notice and the assurance summary),
//! then materialises a project next to them (`<out>/project`: habeas.toml,
//! declarations, key directory, embedded SQLite vault), fills the vault with
//! a few hundred clearly fictitious subjects and starts the server, printing
//! the URL and a token. The demo declarations are compiled into the binary,
//! so the command works from any directory; `--render-only` stops after the
//! documents.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use habeas_core::declarations::{self, diagnostic};
use habeas_core::lang::Lang;
use habeas_core::register::{self, DocFormat, Format, View};

use super::Global;

/// The demo provider's declaration files, as shipped in `examples/hosting-provider`.
pub(crate) const DEMO_FILES: &[(&str, &str)] = &[
    (
        "declarations/activities.toml",
        include_str!("../../../../examples/hosting-provider/declarations/activities.toml"),
    ),
    (
        "declarations/categories.toml",
        include_str!("../../../../examples/hosting-provider/declarations/categories.toml"),
    ),
    (
        "declarations/organisation.toml",
        include_str!("../../../../examples/hosting-provider/declarations/organisation.toml"),
    ),
    (
        "declarations/recipients.toml",
        include_str!("../../../../examples/hosting-provider/declarations/recipients.toml"),
    ),
    (
        "declarations/roles.toml",
        include_str!("../../../../examples/hosting-provider/declarations/roles.toml"),
    ),
    (
        "declarations/security.toml",
        include_str!("../../../../examples/hosting-provider/declarations/security.toml"),
    ),
    (
        "declarations/services.toml",
        include_str!("../../../../examples/hosting-provider/declarations/services.toml"),
    ),
    (
        "declarations/subjects.toml",
        include_str!("../../../../examples/hosting-provider/declarations/subjects.toml"),
    ),
];

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folder to render into (created if missing).
    #[arg(long, value_name = "DIR", default_value = "habeas-demo-out")]
    pub out: PathBuf,
    /// Only render the documents; do not start the server.
    #[arg(long)]
    pub render_only: bool,
    /// Address the demo server listens on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// How many fictitious subjects the demo vault holds.
    #[arg(long, value_name = "N", default_value_t = 300)]
    pub subjects: u64,
}

/// The demo provider's server settings, as shipped in `examples/hosting-provider`.
const DEMO_SETTINGS: &str = include_str!("../../../../examples/hosting-provider/habeas.toml");

pub fn run(_global: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let files: Vec<(String, String)> = DEMO_FILES
        .iter()
        .map(|(p, c)| (p.to_string(), c.to_string()))
        .collect();
    let checked = declarations::load_and_check(&files);
    if checked.has_errors() {
        eprint!("{}", diagnostic::render_human(&checked.diagnostics));
        anyhow::bail!("the bundled demo declarations do not pass `habeas check`");
    }
    let written = render_all(&checked.declarations, &args.out)?;
    println!(
        "Hébergix SAS (demo provider): {} documents written to {}",
        written.len(),
        args.out.display()
    );
    for path in &written {
        println!("  {}", path.display());
    }
    println!(
        "Start with {}",
        args.out.join("register-controller.fr.html").display()
    );
    if args.render_only {
        return Ok(ExitCode::SUCCESS);
    }
    let project = args.out.join("project");
    materialise_project(&project)?;
    println!(
        "demo project (vault, keys, declarations): {}",
        project.display()
    );
    let settings = habeas_engine::project::load_settings(&project)?;
    super::serve::serve_project(&project, &settings, &args.listen, args.subjects)
}

/// Write the demo project's settings and declarations into `dir`, keeping an
/// existing vault and key directory, so a second `habeas demo` reuses them.
fn materialise_project(dir: &Path) -> anyhow::Result<()> {
    let mut files: Vec<(&str, &str)> = vec![("habeas.toml", DEMO_SETTINGS)];
    files.extend_from_slice(DEMO_FILES);
    super::init::write_files(dir, &files)?;
    Ok(())
}

/// Render every document into `out`; returns the paths written.
fn render_all(d: &declarations::Declarations, out: &Path) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut written = Vec::new();
    let mut write = |name: String, text: String| -> anyhow::Result<()> {
        let path = out.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        written.push(path);
        Ok(())
    };
    for lang in Lang::ALL {
        for view in View::ALL {
            for format in Format::ALL {
                let name = format!(
                    "register-{}.{}.{}",
                    view.key(),
                    lang.tag(),
                    format.extension()
                );
                write(name, register::render_register(d, view, format, lang))?;
            }
        }
        for format in DocFormat::ALL {
            write(
                format!("notice.{}.{}", lang.tag(), format.extension()),
                register::render_notice(d, format, lang),
            )?;
            write(
                format!("assurance.{}.{}", lang.tag(), format.extension()),
                register::render_assurance(d, format, lang),
            )?;
        }
    }
    Ok(written)
}

/// The demo's fictitious subjects gave every declared consent (ledger
/// channel `demo`, with the notice shown): the vault refuses a
/// consent-based activity for a subject without one (`[consent] missing =
/// "refuse"`, Art. 6(1)(a)), and the demo should show consented reads.
pub(crate) fn record_consents<'s>(
    vault: &habeas_engine::Vault,
    subjects: impl IntoIterator<Item = &'s String>,
) -> anyhow::Result<()> {
    use habeas_rights::consent_store::ConsentStore;
    let decls = vault.declarations();
    let clock = habeas_core::clock::SystemClock;
    let docs = vault.docs(habeas_rights::vault_bridge::rights_caller("demo"));
    let store = ConsentStore::new(&docs, &clock, decls);
    let purposes: Vec<String> = decls.consents.keys().map(|k| k.get_ref().clone()).collect();
    let shown: Vec<_> = purposes
        .iter()
        .map(|p| store.shown(p, Lang::Fr))
        .collect::<Result<_, _>>()?;
    for subject in subjects {
        for (purpose, notice) in purposes.iter().zip(&shown) {
            store.give(subject, purpose, "demo", notice.clone())?;
        }
    }
    Ok(())
}
