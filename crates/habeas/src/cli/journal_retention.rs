//! The audit journal's own retention (SPEC C6), shared by `habeas audit
//! retention` and the scheduler's daily `journal-retention` job: the
//! declared periods (`[audit]` in habeas.toml) and the breach register give
//! the cut-off (`habeas_core::journal_retention`), the vault drops the
//! journal up to the newest signed checkpoint before it.

use habeas_breach::BreachRegister;
use habeas_breach::vault_bridge::breach_purpose;
use habeas_core::clock::Clock;
use habeas_core::journal_retention::{Cutoff, JournalRetention};
use habeas_core::lang::Lang;
use habeas_core::settings::Settings;
use habeas_engine::{Caller, JournalDrop, Vault};

/// The cut-off, what goes, and whether it went.
pub struct RetentionRun {
    pub policy: JournalRetention,
    pub cutoff: Cutoff,
    pub dropped: Option<JournalDrop>,
    pub applied: bool,
}

/// The refusal when `[audit] retention` is not declared.
pub const NOT_DECLARED: &str = "aucune rétention du journal déclarée : ajoutez `[audit] retention = \"12 months\"` à habeas.toml (incident_retention : 36 mois par défaut) / \
     no journal retention declared: add `[audit] retention = \"12 months\"` to habeas.toml (incident_retention defaults to 36 months)";

/// Apply (or with `dry_run`, plan) the declared journal retention at the
/// clock's time; `None` when habeas.toml declares none.
pub fn run(
    vault: &Vault,
    settings: &Settings,
    clock: &dyn Clock,
    actor: &str,
    dry_run: bool,
) -> anyhow::Result<Option<RetentionRun>> {
    let Some(policy) = settings.audit.journal_retention() else {
        return Ok(None);
    };
    let decls = vault.declarations();
    let purpose = breach_purpose(decls).unwrap_or_else(|| "administration".into());
    // The register is read under the breach purpose; the drop is journaled
    // as `habeas audit drop-through` journals it.
    let docs = vault.docs(Caller::operator(actor, &purpose));
    let caller = Caller::operator(actor, "journal_retention");
    let cutoff = BreachRegister::new(&docs, clock, decls, settings.breach.clocks())
        .journal_cutoff(&policy)?;
    let dropped = if dry_run {
        vault.journal_retention_plan(&cutoff)?
    } else {
        vault.apply_journal_retention(&caller, &cutoff)?
    };
    Ok(Some(RetentionRun {
        policy,
        cutoff,
        applied: !dry_run && dropped.is_some(),
        dropped,
    }))
}

fn minute(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The report, French line then English line.
pub fn report(run: &RetentionRun) -> String {
    let line = |lang: Lang| {
        let pick = |fr, en| lang.pick(fr, en);
        let mut text = format!(
            "{}{} ({} {}) — {} {}",
            pick("rétention du journal : ", "journal retention: "),
            run.policy.keep.describe(lang),
            run.policy.incident_keep.describe(lang),
            pick("pour un incident", "for an incident"),
            pick("seuil", "cut-off"),
            minute(run.cutoff.before),
        );
        if let Some(id) = &run.cutoff.held_by {
            text.push_str(&format!(
                ", {} {id}",
                pick("retenu par la violation", "held back by breach")
            ));
        }
        text.push('\n');
        text.push_str(&match &run.dropped {
            None => pick(
                "rien à supprimer : aucun point de contrôle signé avant le seuil",
                "nothing to drop: no signed checkpoint before the cut-off",
            )
            .to_string(),
            Some(d) => format!(
                "{} {} #{} ({} {}) {}",
                d.entries,
                match (d.entries == 1, lang) {
                    (true, Lang::Fr) => "entrée jusqu'au point de contrôle",
                    (false, Lang::Fr) => "entrées jusqu'au point de contrôle",
                    (true, Lang::En) => "entry through checkpoint",
                    (false, Lang::En) => "entries through checkpoint",
                },
                d.through,
                pick("la plus récente du", "newest from"),
                minute(d.newest),
                match (run.applied, lang) {
                    (true, Lang::Fr) if d.entries == 1 => "supprimée",
                    (true, Lang::Fr) => "supprimées",
                    (true, Lang::En) => "dropped",
                    (false, Lang::Fr) if d.entries == 1 => {
                        "serait supprimée (simulation : rien n'a changé)"
                    }
                    (false, Lang::Fr) => "seraient supprimées (simulation : rien n'a changé)",
                    (false, Lang::En) => "would be dropped (dry run: nothing changed)",
                },
            ),
        });
        text
    };
    format!("{}\n{}", line(Lang::Fr), line(Lang::En))
}
