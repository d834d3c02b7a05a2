//! Aggregated statistics as a DPO and an application get them: `habeas
//! stats` (table, CSV, JSON) and `GET /api/stats/{category}` over imported
//! customers, cells of fewer subjects than the threshold withheld, groupings
//! that would single people out refused with the reason, wrong tokens and
//! parameters refused precisely.

mod vault_support;

use vault_support::{Server, http, json, project, run, token};

/// Six customers in France, two in Belgium.
fn import_customers(d: &std::path::Path) {
    let mut text = String::new();
    for (i, country) in ["FR", "FR", "FR", "FR", "FR", "FR", "BE", "BE"]
        .iter()
        .enumerate()
    {
        text.push_str(&format!(
            "{{\"subject_ref\":\"c{i}\",\"category\":\"contact\",\"fields\":{{\"email\":\"stats.{i}@example.org\",\"country\":\"{country}\"}}}}\n"
        ));
    }
    std::fs::write(d.join("customers.jsonl"), text).expect("write");
    let (code, _, err) = run(d, &["import", "customers.jsonl", "--quiet"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn the_dpo_counts_customers_by_country_and_small_cells_are_withheld() {
    let dir = project();
    let d = dir.path();
    import_customers(d);
    let month = chrono::Utc::now().format("%Y-%m").to_string();

    let (code, out, err) = run(
        d,
        &[
            "stats",
            "contact",
            "--purpose",
            "PA-0001",
            "--by",
            "country",
            "--format",
            "csv",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        format!("period,country,records,subjects\n{month},FR,6,6\n"),
        "Belgium (2 subjects) is under the default threshold of 5"
    );

    let (code, out, err) = run(
        d,
        &[
            "stats",
            "contact",
            "--purpose",
            "PA-0001",
            "--by",
            "country",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("personnes") && out.contains(&format!("{month}  FR")),
        "{out}"
    );
    assert!(
        out.contains("1 case(s) de moins de 5 personnes masquée(s)"),
        "{out}"
    );
    assert!(out.contains("country : valeur telle quelle"), "{out}");

    let (code, out, err) = run(
        d,
        &[
            "stats",
            "contact",
            "--purpose",
            "PA-0001",
            "--by",
            "country",
            "--period",
            "all",
            "--min-subjects",
            "2",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let report = json(&out);
    assert_eq!(report["subjects"], 8);
    assert_eq!(report["cells"][0]["key"], serde_json::json!(["all", "BE"]));
    assert_eq!(report["cells"][0]["subjects"], 2);
    assert_eq!(report["withheld_cells"], 0);
    assert_eq!(report["generalised"]["country"], "as_is");

    // Refusals: exit 2, the reason and the way out, nothing else printed.
    for (args, says) in [
        (
            vec!["--by", "email"],
            "an identifier tells each person apart",
        ),
        (vec!["--min-subjects", "1"], "use 2 or more"),
        (vec!["--by", "iban"], "declared fields: country, email"),
    ] {
        let mut all = vec!["stats", "contact", "--purpose", "PA-0001"];
        all.extend(args);
        let (code, out, err) = run(d, &all);
        assert_eq!((code, out.as_str()), (2, ""), "{err}");
        assert!(err.contains(says), "{err}");
    }
    let (code, _, err) = run(d, &["stats", "contact", "--purpose", "PA-0003"]);
    assert_eq!(code, 2);
    assert!(err.contains("declared purposes that do: PA-0001"), "{err}");
    let (code, _, err) = run(
        d,
        &[
            "stats",
            "contact",
            "--purpose",
            "PA-0001",
            "--period",
            "quarter",
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("use day, week, month, year or all"), "{err}");
}

#[test]
fn an_application_gets_the_figures_over_http_for_its_purpose_only() {
    let dir = project();
    let d = dir.path();
    import_customers(d);
    let crm = token(d, "crm", "PA-0001");
    let logs = token(d, "logs", "PA-0003");
    let server = Server::start(d);
    let get = |path: &str, token: Option<&str>| http(&server.addr, "GET", path, token, None, None);

    let (status, body) = get(
        "/api/stats/contact?by=country&period=all&min_subjects=2",
        Some(&crm),
    );
    assert_eq!(status, 200, "{body}");
    let report = json(&body);
    assert_eq!(report["purpose"], "PA-0001");
    assert_eq!(report["columns"], serde_json::json!(["period", "country"]));
    assert_eq!(
        report["cells"],
        serde_json::json!([
            {"key": ["all", "BE"], "records": 2, "subjects": 2},
            {"key": ["all", "FR"], "records": 6, "subjects": 6}
        ])
    );
    assert!(
        !body.contains("example.org"),
        "no value in the figures: {body}"
    );

    let (status, body) = get("/api/stats/contact?by=country", Some(&crm));
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["withheld_cells"], 1, "{body}");

    for (path, token, want, code) in [
        (
            "/api/stats/contact",
            Some(logs.as_str()),
            403,
            "category_not_in_purpose",
        ),
        (
            "/api/stats/contact?by=email",
            Some(crm.as_str()),
            422,
            "field_not_groupable",
        ),
        (
            "/api/stats/contact?period=quarter",
            Some(crm.as_str()),
            400,
            "invalid_period",
        ),
        (
            "/api/stats/contact?min_subjects=five",
            Some(crm.as_str()),
            400,
            "invalid_min_subjects",
        ),
        (
            "/api/stats/contact?min_subjects=1",
            Some(crm.as_str()),
            422,
            "threshold_too_low",
        ),
        (
            "/api/stats/nope",
            Some(crm.as_str()),
            422,
            "unknown_category",
        ),
        ("/api/stats/contact", None, 401, "token_required"),
    ] {
        let (status, body) = get(path, token);
        assert_eq!(status, want, "{path}: {body}");
        assert_eq!(json(&body)["error"]["code"], code, "{path}: {body}");
    }

    let (status, body) = get("/api/openapi.json", None);
    assert_eq!(status, 200);
    assert!(body.contains("/api/stats/{category}"), "documented");
    server.stop();

    // The runs and the refusal are in the journal, which still verifies.
    let (code, out, err) = run(d, &["audit", "verify"]);
    assert_eq!(code, 0, "{out}{err}");
}
