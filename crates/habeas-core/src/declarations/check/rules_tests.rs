//! One test per rule: take the demo provider (which passes with no
//! finding), break one thing, and assert the code, the message and the
//! `file:line` of what `habeas check` reports.

use crate::declarations::{Diagnostic, Severity, load_and_check};
use crate::test_support::demo_files;

/// The demo with `from` replaced by `to` (exactly once) in `file`.
fn broken(file: &str, from: &str, to: &str) -> (Vec<(String, String)>, Vec<Diagnostic>) {
    let mut files = demo_files();
    let entry = files
        .iter_mut()
        .find(|(p, _)| p.ends_with(file))
        .expect("demo file");
    assert_eq!(
        entry.1.matches(from).count(),
        1,
        "`{from}` must occur once in {file}"
    );
    entry.1 = entry.1.replacen(from, to, 1);
    let diagnostics = load_and_check(&files).diagnostics;
    (files, diagnostics)
}

/// 1-based line of the first occurrence of `needle` in `file`.
fn line_of(files: &[(String, String)], file: &str, needle: &str) -> usize {
    let (_, contents) = files.iter().find(|(p, _)| p.ends_with(file)).expect("file");
    let at = contents
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in {file}"));
    contents[..at].matches('\n').count() + 1
}

/// Assert a finding with `code` at `file:line` whose message contains `words`.
#[track_caller]
fn expect(
    diags: &[Diagnostic],
    severity: Severity,
    code: &str,
    file: &str,
    line: usize,
    words: &str,
) {
    let found = diags.iter().any(|d| {
        d.code == code
            && d.severity == severity
            && d.message.contains(words)
            && !d.help.is_empty()
            && d.location
                .as_ref()
                .is_some_and(|l| l.file == format!("declarations/{file}") && l.line == line)
    });
    assert!(
        found,
        "expected {code} at {file}:{line} containing `{words}`, got:\n{diags:#?}"
    );
}

fn case(file: &str, from: &str, to: &str, code: &str, severity: Severity, at: &str, words: &str) {
    case_in(file, from, to, code, severity, (file, at), words);
}

/// Like [`case`], for a finding reported in another file than the one broken.
fn case_in(
    file: &str,
    from: &str,
    to: &str,
    code: &str,
    severity: Severity,
    at: (&str, &str),
    words: &str,
) {
    let (files, diags) = broken(file, from, to);
    let line = line_of(&files, at.0, at.1);
    expect(&diags, severity, code, at.0, line, words);
}

use Severity::{Error, Warning};

#[test]
fn demo_provider_passes_without_findings() {
    let diags = load_and_check(&demo_files()).diagnostics;
    assert!(
        diags.is_empty(),
        "{}",
        crate::declarations::diagnostic::render_human(&diags)
    );
}

#[test]
fn h001_unknown_key() {
    case(
        "categories.toml",
        "high_volume = true\npartition = \"day\"\nidentifiers = [\"account_id\"]\n[categories.connection_logs",
        "high_volume = true\npartition = \"day\"\nidentifer = [\"account_id\"]\n[categories.connection_logs",
        "H001",
        Error,
        "identifer",
        "unknown field `identifer`",
    );
}

#[test]
fn h001_bad_enum_value() {
    case(
        "activities.toml",
        "legal_basis = \"contract\"\nsubjects = [\"employees\"]",
        "legal_basis = \"contrat\"\nsubjects = [\"employees\"]",
        "H001",
        Error,
        "\"contrat\"",
        "unknown variant `contrat`",
    );
}

#[test]
fn h002_duplicate_across_files() {
    case(
        "subjects.toml",
        "[subjects.employees]",
        "[roles.billing]\nname = \"x\"\n\n[subjects.employees]",
        "H002",
        Error,
        "[roles.billing]",
        "declared more than once",
    );
}

#[test]
fn h003_missing_organisation() {
    let mut files = demo_files();
    let org = files
        .iter_mut()
        .find(|(p, _)| p.ends_with("organisation.toml"))
        .expect("file");
    let start = org.1.find("[organisation]").expect("section");
    let end = org.1.find("[dpo]").expect("dpo");
    org.1.replace_range(start..end, "");
    let diags = load_and_check(&files).diagnostics;
    assert!(
        diags
            .iter()
            .any(|d| d.code == "H003" && d.is_error() && d.message.contains("[organisation]")),
        "{diags:#?}"
    );
}

#[test]
fn h010_unknown_name_with_suggestion() {
    let (files, diags) = broken(
        "activities.toml",
        "categories = [\"identity\", \"billing\"]",
        "categories = [\"identity\", \"biling\"]",
    );
    let line = line_of(&files, "activities.toml", "\"biling\"");
    expect(
        &diags,
        Error,
        "H010",
        "activities.toml",
        line,
        "data category `biling`, which is not declared",
    );
    assert!(
        diags
            .iter()
            .any(|d| d.help.contains("did you mean `billing`"))
    );
}

#[test]
fn h011_unused_recipient() {
    case(
        "recipients.toml",
        "[locations.dc-lyon]",
        "[recipients.spare]\nname = \"Spare\"\nrole = \"internal\"\n\n[locations.dc-lyon]",
        "H011",
        Warning,
        "[recipients.spare]",
        "no activity uses it",
    );
}

#[test]
fn h012_category_without_retention() {
    case(
        "categories.toml",
        "retention = \"3 years after last interaction\"\nidentifiers = [\"ticket_id\"]",
        "identifiers = [\"ticket_id\"]",
        "H012",
        Error,
        "[categories.support]",
        "`support` has no retention rule",
    );
}

#[test]
fn h013_category_without_purpose() {
    case_in(
        "activities.toml",
        "categories = [\"identity\", \"contact\", \"support\"]",
        "categories = [\"identity\", \"contact\"]",
        "H013",
        Error,
        ("categories.toml", "[categories.support]"),
        "has no purpose",
    );
}

#[test]
fn h014_retention_grammar_points_inside_the_string() {
    let (files, diags) = broken(
        "categories.toml",
        "retention = \"13 months after collection\"",
        "retention = \"13 moons after collection\"",
    );
    let line = line_of(&files, "categories.toml", "13 moons");
    expect(
        &diags,
        Error,
        "H014",
        "categories.toml",
        line,
        "unknown unit `moons`",
    );
    let d = diags.iter().find(|d| d.code == "H014").expect("H014");
    // `retention = "13 ` is 16 characters: the unit starts at column 17.
    assert_eq!(d.location.as_ref().map(|l| l.column), Some(17));
}

#[test]
fn h015_delay_grammar() {
    case(
        "organisation.toml",
        "erasure = \"7 days\"",
        "erasure = \"7 fortnights\"",
        "H015",
        Error,
        "7 fortnights",
        "unknown unit `fortnights`",
    );
}

#[test]
fn h016_identifier_not_a_field() {
    case(
        "categories.toml",
        "identifiers = [\"ticket_id\"]",
        "identifiers = [\"ticket\"]",
        "H016",
        Error,
        "[\"ticket\"]",
        "field `ticket`",
    );
}

#[test]
fn h017_high_volume_without_partition() {
    case(
        "categories.toml",
        "high_volume = true\npartition = \"month\"\n",
        "high_volume = true\n",
        "H017",
        Error,
        "[categories.navigation]",
        "no time partition",
    );
}

#[test]
fn h018_generalised_fields_with_delete() {
    case(
        "categories.toml",
        "on_expiry = \"anonymise\"\n",
        "",
        "H018",
        Error,
        "keep_generalised",
        "deletes the record",
    );
}

#[test]
fn h020_direct_marketing_on_contract() {
    case(
        "activities.toml",
        "legal_basis = \"consent\"",
        "legal_basis = \"contract\"",
        "H020",
        Error,
        "legal_basis = \"contract\"\nsubjects = [\"customers\", \"prospects\"]",
        "direct-marketing activity `PA-0008`",
    );
}

#[test]
fn h020_legitimate_interest_without_objection() {
    case(
        "activities.toml",
        "objection = true\nsubjects = [\"prospects\"]",
        "subjects = [\"prospects\"]",
        "H020",
        Error,
        "legal_basis = \"legitimate_interests\"\nlegitimate_interest = { fr = \"Développer",
        "without offering objection",
    );
}

#[test]
fn h021_special_category_without_art9_condition() {
    case_in(
        "categories.toml",
        "family = \"professional_life\"\ndpv = \"pd:Professional\"\nretention = \"5 years",
        "family = \"professional_life\"\nsensitivity = \"special\"\ndpv = \"pd:Professional\"\nretention = \"5 years",
        "H021",
        Error,
        ("activities.toml", "[activities.PA-0009]"),
        "without an Art. 9(2) condition",
    );
}

#[test]
fn h022_legitimate_interest_not_described() {
    case(
        "activities.toml",
        "legitimate_interest = { fr = \"Protéger nos services et nos clients contre les attaques (considérant 49 du RGPD).\", en = \"Protect our services and our customers against attacks (GDPR recital 49).\" }\n",
        "",
        "H022",
        Error,
        "legal_basis = \"legitimate_interests\"",
        "without saying which",
    );
}

#[test]
fn h023_legal_obligation_without_reference() {
    case(
        "activities.toml",
        "legal_basis_ref = \"Code de commerce art. L123-22 ; CGI art. 289\"\n",
        "",
        "H023",
        Warning,
        "legal_basis = \"legal_obligation\"",
        "without naming it",
    );
}

#[test]
fn h024_art9_condition_without_special_data() {
    case(
        "activities.toml",
        "legal_basis = \"contract\"\nsubjects = [\"employees\"]",
        "legal_basis = \"contract\"\nart9_condition = \"explicit_consent\"\nsubjects = [\"employees\"]",
        "H024",
        Warning,
        "art9_condition",
        "processes no special-category data",
    );
}

#[test]
fn h025_criminal_data_without_authorisation() {
    case_in(
        "categories.toml",
        "family = \"professional_life\"\ndpv = \"pd:Professional\"\nretention = \"5 years",
        "family = \"professional_life\"\nsensitivity = \"criminal\"\ndpv = \"pd:Professional\"\nretention = \"5 years",
        "H025",
        Error,
        ("activities.toml", "[activities.PA-0009]"),
        "without an Art. 10 authorisation",
    );
}

#[test]
fn h026_nir_outside_legal_obligation() {
    case_in(
        "categories.toml",
        "family = \"professional_life\"\ndpv = \"pd:Professional\"\nretention = \"5 years",
        "family = \"professional_life\"\nsensitivity = \"nir\"\ndpv = \"pd:Professional\"\nretention = \"5 years",
        "H026",
        Warning,
        (
            "activities.toml",
            "legal_basis = \"contract\"\nsubjects = [\"employees\"]",
        ),
        "NIR outside a legal obligation",
    );
}

#[test]
fn h027_consent_purpose_on_non_consent_activity() {
    case(
        "roles.toml",
        "activity = \"PA-0008\"",
        "activity = \"PA-0007\"",
        "H027",
        Error,
        "activity = \"PA-0007\"",
        "whose legal basis is not consent",
    );
}

#[test]
fn h028_controller_activity_without_legal_basis() {
    case(
        "activities.toml",
        "legal_basis = \"contract\"\nsubjects = [\"employees\"]",
        "subjects = [\"employees\"]",
        "H028",
        Error,
        "[activities.PA-0009]",
        "has no `legal_basis`",
    );
}

#[test]
fn h029_indirect_data_without_source() {
    case(
        "activities.toml",
        "source = { fr = \"Annuaires professionnels publics et salons professionnels.\", en = \"Public business directories and trade fairs.\" }\n",
        "",
        "H029",
        Warning,
        "[activities.PA-0007]",
        "does not say where it comes from",
    );
}

#[test]
fn h030_transfer_without_safeguard() {
    case(
        "recipients.toml",
        "country = \"NL\"",
        "country = \"IN\"",
        "H030",
        Error,
        "country = \"IN\"",
        "IN, which has no EU adequacy decision",
    );
}

#[test]
fn h031_not_a_country_code() {
    case(
        "recipients.toml",
        "country = \"NL\"",
        "country = \"Netherlands\"",
        "H031",
        Error,
        "\"Netherlands\"",
        "not an ISO 3166-1 alpha-2",
    );
}

#[test]
fn h032_recipient_outside_residency() {
    case(
        "recipients.toml",
        "the newsletter.\" }\ncountry = \"FR\"",
        "the newsletter.\" }\ncountry = \"DE\"",
        "H032",
        Error,
        "country = \"DE\"",
        "outside residency rule `fr-only`",
    );
}

#[test]
fn h033_storage_location_outside_residency() {
    case(
        "recipients.toml",
        "country = \"FR\"\noperator = \"datacenter\"\n\n[locations.backup-paris]",
        "country = \"BE\"\noperator = \"datacenter\"\n\n[locations.backup-paris]",
        "H033",
        Error,
        "country = \"BE\"",
        "storage location `dc-lyon` is in BE",
    );
}

#[test]
fn h034_us_adequacy_needs_dpf_certification() {
    case(
        "recipients.toml",
        "country = \"NL\"",
        "country = \"US\"",
        "H034",
        Error,
        "[recipients.payment-processor]",
        "certified organisations only",
    );
}

#[test]
fn h035_derogation_is_a_warning() {
    case(
        "recipients.toml",
        "country = \"NL\"",
        "country = \"IN\"\nsafeguard = \"derogation\"",
        "H035",
        Warning,
        "safeguard = \"derogation\"",
        "Art. 49 derogation",
    );
}

#[test]
fn h036_processor_without_contract() {
    case(
        "recipients.toml",
        "contract = \"Conditions de service PayEuro et DPA, 2024-03-01\"\n",
        "",
        "H036",
        Warning,
        "[recipients.payment-processor]",
        "no contract reference",
    );
}

#[test]
fn h040_promised_delay_longer_than_a_month() {
    case(
        "organisation.toml",
        "access = \"15 days\"",
        "access = \"2 months\"",
        "H040",
        Error,
        "\"2 months\"",
        "longer than the statutory one month",
    );
    case(
        "organisation.toml",
        "access = \"15 days\"",
        "access = \"22 working days\"",
        "H040",
        Warning,
        "\"22 working days\"",
        "can run past one month",
    );
}

#[test]
fn h041_notice_period_under_30_days() {
    case(
        "organisation.toml",
        "notice_change_period = \"30 days\"",
        "notice_change_period = \"1 week\"",
        "H041",
        Warning,
        "\"1 week\"",
        "less than 30 days",
    );
}

#[test]
fn h050_missing_art30_fields() {
    case(
        "organisation.toml",
        "address = \"18 quai Perrache, 69002 Lyon, France\"\n",
        "",
        "H050",
        Error,
        "[organisation]",
        "no `address`",
    );
    case(
        "activities.toml",
        "purpose = { fr = \"Gérer les contrats de travail, la paie et les accès du personnel.\", en = \"Manage employment contracts, payroll and staff access.\" }\n",
        "",
        "H050",
        Error,
        "[activities.PA-0009]",
        "has no `purpose`",
    );
}

#[test]
fn h051_processor_service_without_controllers() {
    case(
        "services.toml",
        "controllers = { fr = \"Les clients titulaires d'une offre de partage, listés dans la base clients (PA-0001).\", en = \"The customers holding a file-sharing plan, listed in the customer base (PA-0001).\" }\n",
        "",
        "H051",
        Error,
        "[services.file-sharing]",
        "does not say who the controllers are",
    );
}

#[test]
fn h052_invalid_siren() {
    case(
        "organisation.toml",
        "siren = \"912 345 675\"",
        "siren = \"912 345 676\"",
        "H052",
        Error,
        "siren =",
        "SIREN number is not valid",
    );
}

#[test]
fn h053_invalid_date() {
    case(
        "organisation.toml",
        "updated = \"2026-11-20\"",
        "updated = \"20/11/2026\"",
        "H053",
        Error,
        "\"20/11/2026\"",
        "is not a date",
    );
}

#[test]
fn h054_invalid_email() {
    case(
        "organisation.toml",
        "email = \"dpo@hebergix.example\"",
        "email = \"dpo-hebergix\"",
        "H054",
        Error,
        "\"dpo-hebergix\"",
        "not an e-mail address",
    );
}

#[test]
fn h060_role_reads_category_outside_its_purposes() {
    case(
        "roles.toml",
        "categories = [\"identity\", \"billing\"]",
        "categories = [\"identity\", \"billing\", \"support\"]",
        "H060",
        Warning,
        "\"billing\", \"support\"]",
        "none of its purposes processes it",
    );
}

#[test]
fn h061_role_without_purposes() {
    case(
        "roles.toml",
        "purposes = [\"PA-0002\"]\n",
        "",
        "H061",
        Warning,
        "[roles.billing]",
        "has no purposes",
    );
}

#[test]
fn lookups_answer_what_other_capabilities_ask() {
    let d = load_and_check(&demo_files()).declarations;
    let billing = d.category("billing").expect("billing");
    assert_eq!(
        billing.field("amount"),
        Some(crate::declarations::FieldType::Decimal)
    );
    assert!(billing.is_identifier("invoice_number") && !billing.is_identifier("amount"));
    assert!(
        d.category("contact")
            .is_some_and(|c| c.is_critical("email"))
    );
    let purposes: Vec<&str> = d
        .purposes_of_category("billing")
        .map(|(id, _)| id)
        .collect();
    assert_eq!(purposes, ["PA-0002"]);
    assert!(d.role_may_read("billing", "billing", "PA-0002"));
    assert!(!d.role_may_read("support", "billing", "PA-0002"));
    assert!(!d.role_may_read("billing", "billing", "PA-0001"));
    assert_eq!(d.categories_of_role("billing"), ["billing", "identity"]);
    assert_eq!(
        d.promised_delay(crate::declarations::Right::Rectification),
        Some(crate::delay::Delay::WorkingHours(48))
    );
    assert_eq!(d.notice_change_period(), crate::delay::Delay::Days(30));
    assert_eq!(
        d.account_closure_grace(),
        Some(crate::delay::Delay::Days(30))
    );
    assert_eq!(d.authority().website, "https://www.cnil.fr/fr/plaintes");
    assert_eq!(d.received_by("payment-processor"), ["billing", "identity"]);
    assert!(
        d.category("connection_logs").is_some_and(
            |c| c.high_volume && c.partition == Some(crate::declarations::Partition::Day)
        )
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Loading never panics, whatever the bytes: truncated or spliced files
    /// included.
    #[test]
    fn load_and_check_never_panics(cut in 0usize..6000, junk in ".{0,40}", which in 0usize..8) {
        let mut files = demo_files();
        let (_, contents) = &mut files[which];
        let mut at = cut.min(contents.len());
        while !contents.is_char_boundary(at) {
            at -= 1;
        }
        contents.insert_str(at, &junk);
        let _ = load_and_check(&files);
        let _ = load_and_check(&[("x.toml".to_string(), junk.clone())]);
    }
}

#[test]
fn h055_dpv_term_must_be_a_compact_iri() {
    case(
        "subjects.toml",
        "dpv = \"dpv:Employee\"",
        "dpv = \"Employee\"",
        "H055",
        Error,
        "[subjects.employees]",
        "not a DPV compact IRI",
    );
}

#[test]
fn a_belgian_provider_names_the_apd_and_needs_a_kbo_number() {
    let (_, diags) = broken(
        "organisation.toml",
        "siren = \"912 345 675\"",
        "kbo = \"0403.170.701\"",
    );
    // Still in France: a SIREN is expected.
    assert!(
        diags
            .iter()
            .any(|d| d.code == "H050" && d.message.contains("siren")),
        "{diags:#?}"
    );
    let mut files = demo_files();
    let org = files
        .iter_mut()
        .find(|(p, _)| p.ends_with("organisation.toml"))
        .expect("file");
    org.1 = org
        .1
        .replace("siren = \"912 345 675\"", "kbo = \"0403.170.701\"")
        .replace("country = \"FR\"", "country = \"BE\"");
    let checked = load_and_check(&files);
    assert!(checked.diagnostics.is_empty(), "{:#?}", checked.diagnostics);
    assert_eq!(
        checked.declarations.authority().name_en,
        "Data Protection Authority (APD/GBA)"
    );
    let notice = crate::register::render_notice(
        &checked.declarations,
        crate::register::DocFormat::Markdown,
        crate::lang::Lang::Fr,
    );
    assert!(notice.contains("Autorité de protection des données"));
    let jsonld = crate::register::render_register(
        &checked.declarations,
        crate::register::View::Controller,
        crate::register::Format::JsonLd,
        crate::lang::Lang::En,
    );
    assert!(jsonld.contains("urn:habeas:kbo:0403170701"));
}
