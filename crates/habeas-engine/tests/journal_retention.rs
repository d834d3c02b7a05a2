//! The journal's own retention in the engine (SPEC C6): the segment older
//! than the cut-off goes up to a signed checkpoint, in steps from
//! checkpoint to checkpoint, each journaled; what remains verifies.

mod common;

use chrono::{Duration, Utc};
use common::*;
use habeas_core::journal_retention::Cutoff;
use habeas_engine::{Caller, VaultPaths, Verdict};

#[test]
fn an_old_segment_goes_in_steps_between_checkpoints_and_the_rest_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let paths = VaultPaths::in_project(dir.path());
    // Four sessions of two entries each: closing a vault signs a checkpoint.
    for _ in 0..4 {
        let vault = open(paths.clone());
        vault.create_subject(&op(), None).unwrap();
        vault.create_subject(&op(), None).unwrap();
    }
    let vault = open(paths);
    let checkpoints = vault.checkpoints().unwrap();
    assert_eq!(checkpoints, [2, 4, 6, 8]);

    // Nothing is older than a cut-off an hour ago.
    let recent = Cutoff {
        before: Utc::now() - Duration::hours(1),
        held_by: None,
    };
    assert_eq!(vault.journal_retention_plan(&recent).unwrap(), None);

    // Everything is older than a cut-off in a minute: through #8.
    let later = Cutoff {
        before: Utc::now() + Duration::minutes(1),
        held_by: None,
    };
    let plan = vault.journal_retention_plan(&later).unwrap().unwrap();
    assert_eq!((plan.through, plan.entries), (8, 8));

    // Steps of at most three entries: #2, #4, #6, #8 one at a time.
    let dpo = Caller::operator("dpo", "administration");
    let done = vault
        .apply_journal_retention_in_steps(&dpo, &later, 3)
        .unwrap()
        .unwrap();
    assert_eq!(done, plan);
    let steps: Vec<String> = vault
        .journal_tail(&dpo, &["journal.drop_segment"], 100)
        .unwrap()
        .events
        .into_iter()
        .map(|e| e.details)
        .collect();
    assert_eq!(
        steps,
        ["through=8", "through=6", "through=4", "through=2"],
        "newest first"
    );
    match vault.verify_journal().unwrap() {
        Verdict::Intact { first, .. } => assert_eq!(first, 9),
        broken => panic!("{broken:?}"),
    }
    // Run again: the entries the steps wrote are younger than no checkpoint
    // yet signed after them, so nothing more goes.
    assert_eq!(vault.apply_journal_retention(&dpo, &later).unwrap(), None);
}
