//! The provider-managed Sieve script of one user (RFC 5228), run by Dovecot
//! Pigeonhole as a `sieve_before` script so the user's own filters cannot skip
//! it (STANDARDS.md §8.2).
//!
//! Shape:
//! ```sieve
//! if <perso>      { [editheader Subject] [addflag "$Perso"] [fileinto :create "Perso"; stop;] }
//! elsif <allow>   { }                       # accepted: deny rules do not apply
//! elsif <deny>    { discard; stop; }        # or: reject "…"; stop;
//! ```
//! * `stop` in a before script ends the whole multiscript run (checked with
//!   `sieve-test -s`), so denied mail never reaches the user's script, and
//!   perso mail filed into the folder is not filed twice by the user's rules.
//! * Keyword-only perso mail does not `stop`: the user's script still sorts it
//!   and the keyword travels with it (imap4flags internal variable).
//! * editheader changes apply to the actions that come **after** them, so the
//!   Subject is rewritten before `fileinto`.
//! * `require` lists exactly the extensions used.
//!
//! Exactness: per header field, an exact address beats its domain. A From
//! field holding several addresses where one is an exception to a domain rule
//! is evaluated per field, not per address (documented in docs/mail.md); the
//! filter command evaluates per address.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::entry::Entry;
use crate::lists::{DenyAction, ListKind, PERSO_KEYWORD, UserLists};
use crate::store::user_key;

/// Version of the generated script layout (in the banner).
pub const SCRIPT_VERSION: u32 = 1;
/// First line of every generated script; `--all` only replaces files with it.
pub const BANNER: &str = "# habeas-mail: script géré par le fournisseur, ne pas modifier / provider-managed script, do not edit";

/// Quotes a Sieve string (RFC 5228 §2.4.2: `\` and `"` are escaped).
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Escapes the `:matches` wildcards `*` and `?` (and `\`) in a literal.
fn escape_wildcards(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn string_list(items: &BTreeSet<String>) -> String {
    let quoted: Vec<String> = items.iter().map(|s| quote(s)).collect();
    format!("[{}]", quoted.join(", "))
}

/// The keys that match one list, split by Sieve test.
#[derive(Default)]
struct Keys {
    /// `address :all :is`
    exact: BTreeSet<String>,
    /// `address :all :matches` (plus-address variants when folding)
    plus: BTreeSet<String>,
    /// `address :domain :is`
    domains: BTreeSet<String>,
}

impl Keys {
    fn is_empty(&self) -> bool {
        self.exact.is_empty() && self.plus.is_empty() && self.domains.is_empty()
    }

    fn add_address(&mut self, entry: &Entry, fold_plus: bool) {
        let Some(local) = entry.local() else { return };
        let mut domains = vec![entry.domain().to_string()];
        domains.extend(entry.unicode_domain());
        for domain in domains {
            self.exact.insert(format!("{local}@{domain}"));
            if fold_plus && !local.starts_with('+') {
                self.plus.insert(format!(
                    "{}+*@{}",
                    escape_wildcards(local),
                    escape_wildcards(&domain)
                ));
            }
        }
    }

    fn add_domain(&mut self, entry: &Entry) {
        self.domains.insert(entry.domain().to_string());
        self.domains.extend(entry.unicode_domain());
    }
}

/// `address :all :is`/`:matches` tests for these keys over `headers`.
fn exact_tests(headers: &str, keys: &Keys) -> Vec<String> {
    let mut tests = Vec::new();
    if !keys.exact.is_empty() {
        tests.push(format!(
            "address :all :is {headers} {}",
            string_list(&keys.exact)
        ));
    }
    if !keys.plus.is_empty() {
        tests.push(format!(
            "address :all :matches {headers} {}",
            string_list(&keys.plus)
        ));
    }
    tests
}

fn any_of(mut tests: Vec<String>, indent: &str) -> String {
    match tests.len() {
        0 => "false".to_string(),
        1 => tests.remove(0),
        _ => format!("anyof({})", tests.join(&format!(",\n{indent}      "))),
    }
}

/// The test "some address in these fields belongs to `kind`".
fn class_test(lists: &UserLists, kind: ListKind, fields: &[&str]) -> Vec<String> {
    let fold = lists.settings.fold_plus;
    let mut own = Keys::default();
    for entry in lists.list(kind) {
        if entry.is_domain() {
            own.add_domain(entry);
        } else {
            own.add_address(entry, fold);
        }
    }
    let mut tests = Vec::new();
    let field_list = fields
        .iter()
        .map(|f| quote(f))
        .collect::<Vec<_>>()
        .join(", ");
    let all_fields = format!("[{field_list}]");
    tests.extend(exact_tests(&all_fields, &own));
    for domain_entry in lists.list(kind).iter().filter(|e| e.is_domain()) {
        // Exact addresses of this domain listed elsewhere are exceptions.
        let mut exceptions = Keys::default();
        for other in ListKind::ALL.into_iter().filter(|&k| k != kind) {
            for entry in lists.list(other) {
                if !entry.is_domain() && entry.domain() == domain_entry.domain() {
                    exceptions.add_address(entry, fold);
                }
            }
        }
        let mut domain_keys = Keys::default();
        domain_keys.add_domain(domain_entry);
        let domain_list = string_list(&domain_keys.domains);
        for field in fields {
            let field = quote(field);
            let domain_test = format!("address :domain :is {field} {domain_list}");
            if exceptions.is_empty() {
                tests.push(domain_test);
            } else {
                let not = any_of(exact_tests(&field, &exceptions), "            ");
                tests.push(format!("allof({domain_test}, not {not})"));
            }
        }
    }
    tests
}

/// The user's own addresses, to recognise outgoing mail.
fn own_address_test(lists: &UserLists) -> Option<String> {
    let me = Entry::parse(&lists.user, lists.settings.normalise()).ok()?;
    let mut keys = Keys::default();
    keys.add_address(&me, lists.settings.fold_plus);
    Some(any_of(exact_tests("\"from\"", &keys), "    "))
}

/// Generates the user's script.
pub fn generate(lists: &UserLists) -> String {
    let tag = &lists.settings.tag;
    let mut perso = class_test(lists, ListKind::Perso, &["from", "sender"]);
    let to_perso = class_test(lists, ListKind::Perso, &["to", "cc"]);
    if let (false, Some(me)) = (to_perso.is_empty(), own_address_test(lists)) {
        let to = any_of(to_perso, "          ");
        perso.push(format!("allof({me},\n          {to})"));
    }
    let allow = class_test(lists, ListKind::Allow, &["from", "sender"]);
    let deny = class_test(lists, ListKind::Deny, &["from", "sender"]);

    let mut require: BTreeSet<&str> = BTreeSet::new();
    let mut body = String::new();
    let mut keyword = "if";
    if !perso.is_empty() {
        let _ = writeln!(
            body,
            "# Correspondants personnels / personal correspondents"
        );
        let _ = writeln!(body, "{keyword} {} {{", any_of(perso, "   "));
        if let Some(subject_tag) = &tag.subject {
            require.extend(["editheader", "variables"]);
            let _ = writeln!(
                body,
                "    if not header :contains \"Subject\" {} {{",
                quote(subject_tag)
            );
            let _ = writeln!(body, "        set \"habeas_subject\" \"\";");
            let _ = writeln!(
                body,
                "        if header :matches \"Subject\" \"*\" {{ set \"habeas_subject\" \" ${{1}}\"; }}"
            );
            let _ = writeln!(body, "        deleteheader \"Subject\";");
            let _ = writeln!(
                body,
                "        addheader \"Subject\" {};",
                quote(&format!("{subject_tag}${{habeas_subject}}"))
            );
            let _ = writeln!(body, "    }}");
        }
        if tag.keyword {
            require.insert("imap4flags");
            let _ = writeln!(body, "    addflag {};", quote(PERSO_KEYWORD));
        }
        if let Some(folder) = &tag.folder {
            require.extend(["fileinto", "mailbox"]);
            let _ = writeln!(body, "    fileinto :create {};", quote(folder));
            let _ = writeln!(body, "    stop;");
        }
        let _ = writeln!(body, "}}");
        keyword = "elsif";
    }
    if !allow.is_empty() {
        let _ = writeln!(
            body,
            "# Expéditeurs acceptés : les règles de refus ne s'appliquent pas / allowed senders: deny rules do not apply"
        );
        let _ = writeln!(body, "{keyword} {} {{", any_of(allow, "   "));
        let _ = writeln!(
            body,
            "    # rien d'autre : la livraison continue / nothing else: delivery goes on"
        );
        let _ = writeln!(body, "}}");
        keyword = "elsif";
    }
    if !deny.is_empty() {
        let _ = writeln!(body, "# Expéditeurs refusés / denied senders");
        let _ = writeln!(body, "{keyword} {} {{", any_of(deny, "   "));
        match &lists.settings.deny {
            DenyAction::Discard => {
                let _ = writeln!(body, "    discard;");
            }
            DenyAction::Reject { message } => {
                require.insert("reject");
                let _ = writeln!(body, "    reject {};", quote(message));
            }
        }
        let _ = writeln!(body, "    stop;");
        let _ = writeln!(body, "}}");
    }

    let mut script = String::new();
    let _ = writeln!(script, "{BANNER}");
    let _ = writeln!(
        script,
        "# habeas-mail sieve v{SCRIPT_VERSION}; user {}",
        user_key(&lists.user)
    );
    if !require.is_empty() {
        let names: BTreeSet<String> = require.into_iter().map(str::to_string).collect();
        let _ = writeln!(script, "require {};", string_list(&names));
    }
    if body.is_empty() {
        let _ = writeln!(script, "# Aucune règle / no rules");
    }
    script.push_str(&body);
    script
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lists::{Settings, TagStyle};

    #[test]
    fn strings_are_escaped() {
        assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(escape_wildcards("a*b?c\\"), "a\\*b\\?c\\\\");
    }

    #[test]
    fn require_lists_only_what_is_used() {
        let mut l = UserLists::new("me@corp.example");
        l.add(ListKind::Deny, "@spam.example").unwrap();
        let script = generate(&l);
        assert!(!script.contains("require"), "{script}");
        assert!(script.contains("discard;"));

        l.add(ListKind::Perso, "mum@family.example").unwrap();
        let script = generate(&l);
        assert!(script.contains("require [\"imap4flags\"];"), "{script}");

        l.set_settings(Settings {
            tag: TagStyle {
                keyword: false,
                folder: Some("Perso".into()),
                subject: Some("[PERSO]".into()),
            },
            deny: DenyAction::Reject {
                message: "Non \"merci\"".into(),
            },
            fold_plus: false,
        })
        .unwrap();
        let script = generate(&l);
        assert!(
            script.contains(
                "require [\"editheader\", \"fileinto\", \"mailbox\", \"reject\", \"variables\"];"
            ),
            "{script}"
        );
        assert!(script.contains(r#"reject "Non \"merci\"";"#), "{script}");
        assert!(!script.contains("addflag"));
    }

    #[test]
    fn domain_rules_carry_exact_exceptions() {
        let mut l = UserLists::new("me@corp.example");
        l.add(ListKind::Deny, "@acme.example").unwrap();
        l.add(ListKind::Allow, "boss@acme.example").unwrap();
        let script = generate(&l);
        assert!(
            script.contains(
                "allof(address :domain :is \"from\" [\"acme.example\"], not address :all :is \"from\" [\"boss@acme.example\"])"
            ),
            "{script}"
        );
    }

    #[test]
    fn empty_lists_give_a_valid_empty_script() {
        let script = generate(&UserLists::new("me@corp.example"));
        assert!(script.starts_with(BANNER));
        assert!(!script.contains("if "));
        assert!(!script.contains("me@corp.example"));
    }
}
