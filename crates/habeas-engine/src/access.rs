//! Who is calling and what they may touch (SPEC C6; Art. 5(1)(b) purpose
//! limitation, Art. 25(2) access limited to what each purpose needs,
//! Art. 32(4)).
//!
//! Application tokens are scoped to declared purposes (activities) and,
//! optionally, to a subset of categories. A token may use a category for a
//! purpose only if the declarations say that activity processes that
//! category. Tokens are shown once at creation (`hbs_<id>_<secret>`); the
//! database keeps only the SHA-256 digest of the secret (the id is derived
//! from it).

use habeas_core::declarations::Declarations;
use habeas_store::{AppToken, Store};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::{EngineError, Refusal, Result};

/// A stored application token (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Token {
    pub id: String,
    pub name: String,
    pub purposes: Vec<String>,
    /// Empty: every category the purposes process.
    pub categories: Vec<String>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// The caller of an engine operation.
#[derive(Debug, Clone)]
pub struct Caller {
    /// As written in the journal: `token:<id>:<name>`, `cli`, `demo`.
    pub actor: String,
    pub scope: Scope,
    /// The purpose the caller states for this call.
    pub purpose: Option<String>,
}

/// What the caller may do.
#[derive(Debug, Clone)]
pub enum Scope {
    /// The operator on the command line (holds the keys anyway).
    Operator,
    Token(Token),
}

impl Caller {
    /// The operator, acting for `purpose`.
    pub fn operator(actor: &str, purpose: &str) -> Caller {
        Caller {
            actor: actor.to_string(),
            scope: Scope::Operator,
            purpose: Some(purpose.to_string()),
        }
    }

    /// A token holder, stating `purpose` (or its only purpose).
    pub fn token(token: Token, purpose: Option<String>) -> Caller {
        let purpose =
            purpose.or_else(|| (token.purposes.len() == 1).then(|| token.purposes[0].clone()));
        Caller {
            actor: format!("token:{}:{}", token.id, token.name),
            scope: Scope::Token(token),
            purpose,
        }
    }

    /// Decide whether the caller may use `category`; returns the purpose to journal.
    pub fn authorize(&self, decls: &Declarations, category: &str) -> Result<String, Refusal> {
        match &self.scope {
            Scope::Operator => Ok(self
                .purpose
                .clone()
                .unwrap_or_else(|| "administration".into())),
            Scope::Token(token) => {
                let Some(purpose) = self.purpose.clone() else {
                    return Err(Refusal::new(
                        "purpose_required",
                        format!(
                            "ce jeton sert plusieurs finalités ({}) : indiquez la finalité (en-tête X-Habeas-Purpose)",
                            token.purposes.join(", ")
                        ),
                        format!(
                            "this token serves several purposes ({}): state the purpose (X-Habeas-Purpose header)",
                            token.purposes.join(", ")
                        ),
                    )
                    .category(category));
                };
                if !token.purposes.contains(&purpose) {
                    return Err(Refusal::new(
                        "purpose_not_allowed",
                        format!("ce jeton n'est pas autorisé pour la finalité « {purpose} » (autorisées : {})", token.purposes.join(", ")),
                        format!("this token is not allowed for purpose `{purpose}` (allowed: {})", token.purposes.join(", ")),
                    )
                    .category(category));
                }
                let processed = decls
                    .activity(&purpose)
                    .is_some_and(|a| a.categories.iter().any(|c| c.get_ref() == category));
                if !processed {
                    return Err(Refusal::new(
                        "category_not_in_purpose",
                        format!("la finalité « {purpose} » ne traite pas la catégorie « {category} » (déclarations)"),
                        format!("purpose `{purpose}` does not process category `{category}` (declarations)"),
                    )
                    .category(category));
                }
                if !token.categories.is_empty() && !token.categories.iter().any(|c| c == category) {
                    return Err(Refusal::new(
                        "category_not_allowed",
                        format!("ce jeton n'est pas autorisé pour la catégorie « {category} »"),
                        format!("this token is not allowed category `{category}`"),
                    )
                    .category(category));
                }
                Ok(purpose)
            }
        }
    }
}

fn random_hex(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf)
        .map_err(|e| EngineError::Storage(format!("the OS random generator failed: {e}")))?;
    Ok(hex::encode(buf))
}

/// A fresh identifier with a prefix (`sub_`, `rec_`): 48 bits of
/// milliseconds then 48 random bits, so new rows land at the right edge of
/// the primary-key B-trees instead of on random pages (bulk ingest speed),
/// while staying unguessable within a millisecond.
pub fn new_id(prefix: &str) -> Result<String> {
    let millis = chrono::Utc::now().timestamp_millis().max(0) as u64 & 0xffff_ffff_ffff;
    Ok(format!("{prefix}{millis:012x}{}", random_hex(6)?))
}

/// Check a new token's scope against the declarations.
pub fn check_scope(decls: &Declarations, purposes: &[String], categories: &[String]) -> Result<()> {
    if purposes.is_empty() {
        return Err(EngineError::invalid(
            "purposes_required",
            "un jeton doit être limité à au moins une finalité (--purposes)",
            "a token must be limited to at least one purpose (--purposes)",
        ));
    }
    for p in purposes {
        if decls.activity(p).is_none() {
            let known: Vec<&str> = decls
                .activities
                .keys()
                .map(|k| k.get_ref().as_str())
                .collect();
            return Err(EngineError::invalid(
                "unknown_purpose",
                format!(
                    "finalité « {p} » non déclarée ; finalités déclarées : {}",
                    known.join(", ")
                ),
                format!(
                    "purpose `{p}` is not declared; declared purposes: {}",
                    known.join(", ")
                ),
            ));
        }
    }
    for c in categories {
        let served = purposes.iter().any(|p| {
            decls
                .activity(p)
                .is_some_and(|a| a.categories.iter().any(|x| x.get_ref() == c))
        });
        if !served {
            return Err(EngineError::Invalid(
                Refusal::new(
                    "category_not_in_purpose",
                    format!("aucune des finalités du jeton ne traite la catégorie « {c} »"),
                    format!("none of the token's purposes processes category `{c}`"),
                )
                .category(c),
            ));
        }
    }
    Ok(())
}

/// A new token: the row to store and the string shown once. The token's id
/// is the first 8 bytes of the secret's SHA-256 digest (in hex), so the
/// store needs only the digest: presenting `hbs_<id>_<secret>` looks the
/// digest up and checks the id matches.
pub fn new_token(
    name: &str,
    purposes: &[String],
    categories: &[String],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(AppToken, Token, String)> {
    let secret = random_hex(32)?;
    let digest = Sha256::digest(secret.as_bytes()).to_vec();
    let id = id_of(&digest);
    let row = AppToken {
        digest,
        name: name.to_string(),
        purposes: purposes.to_vec(),
        categories: categories.to_vec(),
        created_at: now,
        revoked_at: None,
    };
    let token = to_token(&row);
    Ok((row, token, format!("hbs_{id}_{secret}")))
}

/// The public id of a token digest.
pub fn id_of(digest: &[u8]) -> String {
    hex::encode(&digest[..digest.len().min(8)])
}

/// The engine's view of a stored token.
pub fn to_token(t: &AppToken) -> Token {
    Token {
        id: id_of(&t.digest),
        name: t.name.clone(),
        purposes: t.purposes.clone(),
        categories: t.categories.clone(),
        created_at: t.created_at.timestamp(),
        revoked_at: t.revoked_at.map(|r| r.timestamp()),
    }
}

/// Every token, newest first.
pub fn list_tokens(store: &dyn Store) -> Result<Vec<Token>> {
    let mut tokens: Vec<Token> = store.list_tokens()?.iter().map(to_token).collect();
    tokens.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)));
    Ok(tokens)
}

fn unauthenticated(code: &'static str) -> EngineError {
    EngineError::Unauthenticated(Refusal::new(
        code,
        "jeton absent, invalide ou révoqué (en-tête Authorization: Bearer hbs_…)",
        "missing, invalid or revoked token (Authorization: Bearer hbs_… header)",
    ))
}

/// Authenticate a presented token string.
pub fn authenticate(store: &dyn Store, presented: &str) -> Result<Token> {
    let rest = presented
        .strip_prefix("hbs_")
        .ok_or_else(|| unauthenticated("bad_token"))?;
    let (id, secret) = rest
        .split_once('_')
        .ok_or_else(|| unauthenticated("bad_token"))?;
    if id.len() != 16 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(unauthenticated("bad_token"));
    }
    // The lookup key is the digest of the secret: nothing about stored
    // secrets leaks through timing, and the id must match that digest.
    let digest = Sha256::digest(secret.as_bytes());
    let found = store.get_token(&digest)?;
    let Some(row) = found else {
        return Err(unauthenticated("bad_token"));
    };
    let same_id: bool = id_of(&row.digest).as_bytes().ct_eq(id.as_bytes()).into();
    if !same_id || row.revoked_at.is_some() {
        return Err(unauthenticated("bad_token"));
    }
    Ok(to_token(&row))
}

/// The digest of the token with public id `id`, if one exists.
pub fn digest_of(store: &dyn Store, id: &str) -> Result<Option<Vec<u8>>> {
    Ok(store
        .list_tokens()?
        .into_iter()
        .find(|t| id_of(&t.digest) == id)
        .map(|t| t.digest))
}

#[cfg(test)]
mod tests {
    use habeas_core::declarations::{load_and_check, starter};

    use super::*;

    /// The starter declarations: PA-0001 processes identity and contact,
    /// PA-0002 identity and billing.
    fn decls() -> Declarations {
        load_and_check(&starter::declaration_files()).declarations
    }

    fn token(purposes: &[&str], categories: &[&str]) -> Token {
        Token {
            id: "0123456789abcdef".into(),
            name: "crm".into(),
            purposes: purposes.iter().map(|p| p.to_string()).collect(),
            categories: categories.iter().map(|c| c.to_string()).collect(),
            created_at: 0,
            revoked_at: None,
        }
    }

    fn refusal(caller: &Caller, category: &str) -> &'static str {
        caller
            .authorize(&decls(), category)
            .expect_err("refused")
            .code
    }

    /// Art. 5(1)(b), 25(2): a token reaches a category only for a purpose it
    /// holds, that the declarations say processes that category, and within
    /// the categories the token was limited to.
    #[test]
    fn a_token_reaches_only_what_its_purpose_processes_within_its_limits() {
        let d = decls();
        let one = Caller::token(token(&["PA-0001"], &[]), None);
        assert_eq!(one.actor, "token:0123456789abcdef:crm");
        assert_eq!(one.authorize(&d, "contact"), Ok("PA-0001".to_string()));
        assert_eq!(refusal(&one, "billing"), "category_not_in_purpose");
        let stated = Caller::token(token(&["PA-0001"], &[]), Some("PA-0002".into()));
        assert_eq!(refusal(&stated, "identity"), "purpose_not_allowed");

        let two = token(&["PA-0001", "PA-0002"], &[]);
        let unstated = Caller::token(two.clone(), None);
        assert_eq!(unstated.purpose, None);
        assert_eq!(refusal(&unstated, "identity"), "purpose_required");
        let billing = Caller::token(two, Some("PA-0002".into()));
        assert_eq!(billing.authorize(&d, "billing"), Ok("PA-0002".to_string()));

        let limited = Caller::token(token(&["PA-0001"], &["contact"]), None);
        assert_eq!(limited.authorize(&d, "contact"), Ok("PA-0001".to_string()));
        assert_eq!(refusal(&limited, "identity"), "category_not_allowed");
        assert!(
            limited
                .authorize(&d, "identity")
                .expect_err("refused")
                .message_en
                .contains("`identity`")
        );
    }

    #[test]
    fn the_operator_acts_for_the_purpose_it_states_or_administration() {
        let d = decls();
        let operator = Caller::operator("cli", "PA-0002");
        assert_eq!(operator.authorize(&d, "contact"), Ok("PA-0002".to_string()));
        let unstated = Caller {
            purpose: None,
            ..operator
        };
        assert_eq!(
            unstated.authorize(&d, "contact"),
            Ok("administration".to_string())
        );
    }

    #[test]
    fn a_new_scope_names_declared_purposes_serving_its_categories() {
        let d = decls();
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(check_scope(&d, &s(&["PA-0001"]), &s(&["contact"])).is_ok());
        let code = |r: Result<()>| match r {
            Err(EngineError::Invalid(refusal)) => refusal.code,
            other => panic!("expected a refusal, got {other:?}"),
        };
        assert_eq!(code(check_scope(&d, &[], &[])), "purposes_required");
        assert_eq!(
            code(check_scope(&d, &s(&["PA-9999"]), &[])),
            "unknown_purpose"
        );
        assert_eq!(
            code(check_scope(&d, &s(&["PA-0001"]), &s(&["billing"]))),
            "category_not_in_purpose"
        );
    }

    /// A presented token opens its own scope only while it is stored and
    /// not revoked, and only with the id its secret's digest gives: a
    /// well-formed string with another token's id, a shortened id, a secret
    /// that is not stored, or a revoked token are all the same refusal.
    #[test]
    fn a_token_authenticates_with_its_own_id_until_revoked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store =
            habeas_store::sqlite::SqliteStore::open(dir.path().join("data.db")).expect("store");
        let purposes = ["PA-0001".to_string()];
        let now = chrono::Utc::now();
        let (row, token, shown) = new_token("crm", &purposes, &[], now).expect("token");
        store.put_token(&row).expect("stored");
        let (other_row, other, _) = new_token("desk", &purposes, &[], now).expect("token");
        store.put_token(&other_row).expect("stored");

        assert_eq!(authenticate(&store, &shown).expect("valid"), token);
        let secret = shown.rsplit('_').next().expect("secret");
        let refused = |presented: &str| match authenticate(&store, presented) {
            Err(EngineError::Unauthenticated(r)) => r.code,
            other => panic!("{presented}: expected a refusal, got {other:?}"),
        };
        assert_eq!(refused(&format!("hbs_{}_{secret}", other.id)), "bad_token");
        assert_eq!(
            refused(&format!("hbs_{}_{secret}", &token.id[..15])),
            "bad_token"
        );
        assert_eq!(
            refused(&format!("hbs_{}g_{secret}", &token.id[..15])),
            "bad_token"
        );
        assert_eq!(refused(&format!("hbs_{}_{secret}x", token.id)), "bad_token");
        assert_eq!(refused(&format!("hbz_{}_{secret}", token.id)), "bad_token");
        assert_eq!(refused(&format!("hbs_{}{secret}", token.id)), "bad_token");

        assert_eq!(list_tokens(&store).expect("list").len(), 2);
        assert_eq!(
            digest_of(&store, &token.id).expect("lookup"),
            Some(row.digest.clone())
        );
        assert_eq!(digest_of(&store, "0000000000000000").expect("lookup"), None);
        assert!(store.revoke_token(&row.digest, now).expect("revoke"));
        assert_eq!(refused(&shown), "bad_token");
        let listed = list_tokens(&store).expect("list");
        assert!(
            listed
                .iter()
                .any(|t| t.id == token.id && t.revoked_at.is_some())
        );
    }

    /// The presented string must carry the id of the digest it finds: the
    /// digest alone decides, but a mismatched id is refused.
    #[test]
    fn a_token_id_is_the_start_of_its_digest_and_ids_are_time_ordered() {
        let (row, token, shown) = new_token("crm", &[], &[], chrono::Utc::now()).expect("token");
        assert_eq!(token.id, hex::encode(&row.digest[..8]));
        let secret = shown
            .strip_prefix(&format!("hbs_{}_", token.id))
            .expect("hbs_<id>_<secret>");
        assert_eq!(Sha256::digest(secret.as_bytes()).as_slice(), row.digest);
        let a = new_id("rec_").expect("id");
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = new_id("rec_").expect("id");
        assert!(a.starts_with("rec_") && a.len() == 4 + 24, "{a}");
        assert!(a < b, "{a} then {b}");
    }
}
