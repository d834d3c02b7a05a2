//! A full disk under the console and the portal (RELIABILITY.md T05): the
//! vault runs on lossyfs (`tests/tools/lossyfs.py`), which fails every
//! write with ENOSPC on demand. A staff action and a subject's consent are
//! then refused with the "Storage full / retry later" page (503 with
//! `Retry-After`, as the API answers), nothing changes, nobody is signed
//! out, and the same forms go through once space is freed — no restart.
//! Failing syncs (EIO) do not sign a portal subject out either.
//!
//! Needs python3 with fusepy, libfuse2 and /dev/fuse (`.ci/run` installs
//! them); skipped loudly without them, failing under HABEAS_REQUIRE_TOOLS=1.

mod lossy_support;
mod vault_support;
mod web_support;

use std::sync::Arc;

use habeas_core::clock::{ManualClock, SystemClock};
use habeas_engine::Caller;
use lossy_support::{Lossy, tools_or_skip};
use web_support::*;

const HOLDS: &str = "/console/conservation";

/// The "retry later" page, in French (the sites' first language).
fn assert_retry_later(answer: &Answer, what: &str) {
    let text = answer.text();
    assert_eq!(answer.status, 503, "{what}: {text}");
    assert_eq!(answer.header("retry-after"), Some("30"), "{what}");
    assert!(text.contains("Stockage plein"), "{what}: {text}");
    assert!(
        !text.contains("RG 26/") && !text.contains("/tmp"),
        "{what}: no value and no path in the page: {text}"
    );
}

fn hold_count(site: &Site) -> usize {
    use habeas_retention::hold::{HoldFilter, HoldService};
    let docs = site.vault.docs(Caller::operator("test", "legal_hold"));
    HoldService::new(&docs, &SystemClock)
        .list(HoldFilter::All)
        .expect("holds")
        .len()
}

#[test]
fn a_full_disk_answers_console_and_portal_forms_with_retry_later_then_recovers() {
    if !tools_or_skip("a_full_disk_answers_console_and_portal_forms_with_retry_later_then_recovers")
    {
        return;
    }
    let dir = vault_support::project();
    seed(dir.path());
    let mount = Lossy::mount(dir.path());
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let site = serve_site(dir, mount.path(), clock.clone(), false, |_| {});
    let mut dpo = signed_in(&site, "dina", "dpo");
    let staff_csrf = hidden(&dpo.get(HOLDS).text(), "csrf");
    let hold = [
        ("csrf", staff_csrf.as_str()),
        ("action", "hold_place"),
        ("category", "support"),
        ("reason", "RG 26/01234"),
    ];
    let (mut claire, portal_csrf) =
        portal_sign_in(&site.addr, &site.outbox(), "claire.fictive@example.org");
    let consent = [
        ("csrf", portal_csrf.as_str()),
        ("purpose", "newsletter"),
        ("action", "give"),
    ];

    // A second staff member who will try to sign in while the disk is full.
    let first = add_staff(&site, "sami", "support");
    let mut sami = Client::new(&site.addr);
    let sign_in_csrf = hidden(&sami.get("/console/connexion").text(), "csrf");

    mount.fill_disk();
    // Long enough for every session's activity note to be due: it cannot
    // be written, and nobody is signed out for that.
    clock.advance(chrono::Duration::minutes(2));
    let page = dpo.get("/console/mot-de-passe");
    assert_eq!(page.status, 200, "{}", page.text());
    // A right password whose sign-in cannot be recorded: retry later, no session.
    let refused = sami.post(
        "/console/connexion",
        &[
            ("csrf", sign_in_csrf.as_str()),
            ("login", "sami"),
            ("password", first.as_str()),
        ],
    );
    assert_retry_later(&refused, "a staff sign-in on a full disk");
    let session = "__Host-habeas_session=";
    assert!(
        !refused
            .cookies()
            .iter()
            .any(|c| c.starts_with(session) && c.len() > session.len()),
        "a session opened on a full disk: {:?}",
        refused.cookies()
    );
    let refused = dpo.post(HOLDS, &hold);
    assert_retry_later(&refused, "a legal hold placed on a full disk");
    assert_eq!(hold_count(&site), 0, "a hold stored on a full disk");
    let refused = claire.post("/portail/consentement", &consent);
    assert_retry_later(&refused, "a consent given on a full disk");
    // Pages that read personal data journal the read first (SPEC C6): they
    // cannot be shown either, and say so the same way — not a sign-in page.
    assert_retry_later(&dpo.get(HOLDS), "the holds page on a full disk");
    assert_retry_later(&claire.get("/portail"), "the portal home on a full disk");

    mount.free_disk();
    // Nothing of the refused forms was kept; both sessions are still open.
    let home = claire.get("/portail");
    assert_eq!(home.status, 200, "{}", home.text());
    assert!(
        !home.text().contains("donné le"),
        "a consent kept from a full disk"
    );
    let signed = sami.post(
        "/console/connexion",
        &[
            ("csrf", sign_in_csrf.as_str()),
            ("login", "sami"),
            ("password", first.as_str()),
        ],
    );
    assert_eq!(signed.status, 303, "{}", signed.text());
    let placed = dpo.post(HOLDS, &hold);
    assert_eq!(placed.status, 303, "{}", placed.text());
    assert_eq!(hold_count(&site), 1);
    let given = claire.post("/portail/consentement", &consent);
    assert_eq!(given.status, 303, "{}", given.text());
    assert!(
        claire.get("/portail").text().contains("donné le"),
        "the consent once space is freed"
    );

    // The disk's syncs fail (EIO): the portal session's due activity note
    // cannot be stored. That is a failure on our side, not a reason to show
    // a signed-in subject the sign-in page or to drop their cookie.
    mount.fail_syncs();
    clock.advance(chrono::Duration::minutes(2));
    let failed = claire.get("/portail");
    assert_eq!(failed.status, 500, "{}", failed.text());
    assert!(
        !failed.text().contains("/portail/connexion"),
        "the sign-in form shown to a signed-in subject: {}",
        failed.text()
    );
    assert!(failed.cookies().is_empty(), "{:?}", failed.cookies());
    mount.sync_ok();
    let home = claire.get("/portail");
    assert_eq!(home.status, 200, "{}", home.text());
    assert!(home.text().contains("donné le"), "still signed in");
    drop(site);
    drop(mount);
}
