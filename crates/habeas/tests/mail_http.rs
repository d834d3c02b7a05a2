//! The mail privacy lists over the HTTP API, on a real server: the same
//! lists as the CLI, sealed in the vault, refused to a token whose purpose
//! does not cover them.

mod vault_support;

use vault_support::{Server, http, json, project, run, token};

const USER: &str = "Claire.Fictive@Corp.example";
const PATH: &str = "/api/mail/lists/claire.fictive@corp.example";

#[test]
fn lists_over_http_all_or_nothing_purpose_checked_and_shared_with_the_cli() {
    let dir = project();
    let d = dir.path();
    let mail = token(d, "mail-relay", "PA-0102");
    let billing = token(d, "billing", "PA-0002");
    let server = Server::start(d);
    let a = server.addr.clone();
    let entries = format!("{PATH}/entries");

    let (status, body) = http(
        &a,
        "POST",
        &entries,
        Some(&mail),
        None,
        Some(br#"{"perso": ["Mum@Family.example", "@club.example"], "deny": ["@spam.example"]}"#),
    );
    assert_eq!(status, 200, "{body}");
    let lists = json(&body);
    assert_eq!(lists["user"], "claire.fictive@corp.example");
    assert_eq!(lists["perso"][0], "@club.example");
    assert_eq!(lists["perso"][1], "mum@family.example");

    // A contradiction inside the batch: refused as a whole, nothing changes.
    let (status, body) = http(
        &a,
        "POST",
        &entries,
        Some(&mail),
        None,
        Some(br#"{"allow": ["new@x.example", "mum@family.example"]}"#),
    );
    assert_eq!(status, 422, "{body}");
    assert_eq!(json(&body)["error"]["code"], "invalid_list_change");
    let (_, body) = http(&a, "GET", PATH, Some(&mail), None, None);
    assert_eq!(json(&body)["allow"].as_array().map(Vec::len), Some(0));

    // A token for billing may not see anyone's mail lists.
    let (status, body) = http(&a, "GET", PATH, Some(&billing), None, None);
    assert_eq!(status, 403, "{body}");
    let (status, _) = http(&a, "GET", PATH, None, None, None);
    assert_eq!(status, 401);

    let (status, body) = http(
        &a,
        "PUT",
        &format!("{PATH}/settings"),
        Some(&mail),
        None,
        Some(br#"{"tag": {"keyword": true, "folder": "Perso", "subject": null}, "deny": {"action": "discard"}, "fold_plus": false}"#),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["settings"]["tag"]["folder"], "Perso");

    let (status, body) = http(
        &a,
        "DELETE",
        &entries,
        Some(&mail),
        None,
        Some(br#"{"deny": ["@spam.example"]}"#),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["deny"].as_array().map(Vec::len), Some(0));
    server.stop();

    // The CLI reads the same vault.
    let (code, out, err) = run(d, &["mail", "list", "show", USER]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("mum@family.example") && out.contains("Perso"),
        "{out}"
    );

    let server = Server::start(d);
    let (status, body) = http(&server.addr, "DELETE", PATH, Some(&mail), None, None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["erased"], true);
    let (_, body) = http(&server.addr, "GET", PATH, Some(&mail), None, None);
    assert_eq!(json(&body)["perso"].as_array().map(Vec::len), Some(0));
    server.stop();
}
