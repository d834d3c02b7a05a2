//! Key providers of the vault (issue 3 point 3): a project whose keys come
//! from the environment (`[keys] provider = "env"`: the KEK, blind-index key
//! and journal signing seed in three variables) or whose KEK sits on a
//! PKCS#11 token (SoftHSM2) imports, reads, finds and verifies through the
//! real binary; a missing variable is named; `habeas keys rotate` refuses,
//! changing nothing, and no error ever prints a secret.

mod vault_support;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::Stdio;

use vault_support::*;

const KEK_VAR: &str = "HABEAS_TEST_VAULT_KEK";

/// Replace the `[keys]` table of the project's habeas.toml.
fn set_keys(dir: &Path, keys: &str) {
    let path = dir.join("habeas.toml");
    let text = std::fs::read_to_string(&path).expect("read habeas.toml");
    let start = text.find("[keys]").expect("[keys] table");
    let end = start + text[start..].find("[smtp]").expect("[smtp] after [keys]");
    let new = format!("{}{keys}\n\n{}", &text[..start], &text[end..]);
    std::fs::write(&path, new).expect("write habeas.toml");
}

/// The three secrets of the env provider, as (variable, value).
fn env_secrets() -> Vec<(String, String)> {
    ["", "_BLIND_INDEX", "_JOURNAL_SIGNING"]
        .iter()
        .map(|suffix| {
            let secret = habeas_crypto::new_env_secret().expect("secret");
            (format!("{KEK_VAR}{suffix}"), secret.to_string())
        })
        .collect()
}

fn run_env(dir: &Path, env: &[(String, String)], args: &[&str]) -> (i32, String, String) {
    let out = habeas(dir)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .args(args)
        .output()
        .expect("run habeas");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A server started with `env`; killed on drop.
struct EnvServer {
    child: std::process::Child,
    addr: String,
}

impl EnvServer {
    fn start(dir: &Path, env: &[(String, String)]) -> EnvServer {
        let mut child = habeas(dir)
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn server");
        let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        let addr = loop {
            line.clear();
            let n = reader.read_line(&mut line).expect("read server output");
            assert!(n > 0, "the server exited before listening");
            if let Some(rest) = line.trim().split("http://").nth(1) {
                break rest.to_string();
            }
        };
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = reader.read_to_end(&mut sink);
        });
        EnvServer { child, addr }
    }
}

impl Drop for EnvServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wrapped_keys(dir: &Path) -> Vec<Vec<u8>> {
    let conn = rusqlite::Connection::open(dir.join("keystore/keys.db")).expect("open keystore");
    conn.prepare("SELECT wrapped FROM data_keys ORDER BY subject_id, category")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

/// Import 3 contacts, verify the journal, then read one back over HTTP
/// (found by its e-mail through the blind index) with the same keys.
fn import_verify_and_read(dir: &Path, env: &[(String, String)]) {
    let file = contacts_file(dir, 3);
    let (code, out, err) = run_env(
        dir,
        env,
        &["import", "--quiet", file.to_str().expect("utf-8")],
    );
    assert_eq!(code, 0, "import failed: {err}");
    assert!(out.starts_with("3 "), "{out}");
    assert_eq!(wrapped_keys(dir).len(), 3);

    let (code, out, err) = run_env(dir, env, &["audit", "verify"]);
    assert_eq!(code, 0, "audit verify failed: {out}{err}");

    let (code, token, err) = run_env(
        dir,
        env,
        &["token", "create", "--name", "crm", "--purposes", "PA-0001"],
    );
    assert_eq!(code, 0, "token create failed: {err}");
    let token = token.trim().to_string();
    let server = EnvServer::start(dir, env);
    let a = &server.addr;
    let (status, body) = post(
        a,
        "/api/subjects/find",
        &token,
        br#"{"kind":"email","value":"import.1@example.org"}"#,
    );
    assert_eq!(status, 200, "{body}");
    let subject = json(&body)["subjects"][0]
        .as_str()
        .unwrap_or_else(|| panic!("no subject in {body}"))
        .to_string();
    let path = format!("/api/subjects/{subject}/records");
    let (status, body) = http(a, "GET", &path, Some(&token), None, None);
    assert_eq!(status, 200, "{body}");
    let view = json(&body);
    let records = view["records"].as_array().expect("records");
    assert_eq!(records.len(), 1, "{body}");
    assert_eq!(records[0]["fields"]["email"], "import.1@example.org");
}

#[test]
fn env_provider_opens_the_vault_from_three_variables() {
    let dir = project();
    set_keys(
        dir.path(),
        &format!("[keys]\nprovider = \"env\"\nvar = \"{KEK_VAR}\""),
    );
    let env = env_secrets();
    import_verify_and_read(dir.path(), &env);
    // Nothing was written to a key directory: every key is in the environment.
    assert!(!dir.path().join("keys").exists());

    // Each missing variable is named, nothing is written, no secret is printed.
    for missing in 0..3 {
        let partial: Vec<_> = env
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != missing)
            .map(|(_, kv)| kv.clone())
            .collect();
        let before = count(dir.path(), "SELECT COUNT(*) FROM records");
        let (code, _, err) = run_env(
            dir.path(),
            &partial,
            &["import", "--quiet", "contacts.jsonl"],
        );
        assert_ne!(code, 0);
        assert!(
            err.contains(&format!("{} is not set", env[missing].0)),
            "{err}"
        );
        for (_, secret) in &env {
            assert!(!err.contains(secret.as_str()), "a secret leaked: {err}");
        }
        assert_eq!(count(dir.path(), "SELECT COUNT(*) FROM records"), before);
    }

    // A malformed value is refused with the variable's name, not its value.
    let mut bad = env.clone();
    bad[0].1 = "not-base64-and-secret".into();
    let (code, _, err) = run_env(dir.path(), &bad, &["audit", "verify"]);
    let (code2, _, err2) = run_env(dir.path(), &bad, &["import", "--quiet", "contacts.jsonl"]);
    assert_eq!(code, 0, "verify needs the journal seed only: {err}");
    assert_ne!(code2, 0);
    assert!(
        err2.contains(KEK_VAR) && !err2.contains("not-base64-and-secret"),
        "{err2}"
    );

    // Rotation is refused with the reason and changes no wrapped key.
    let before = wrapped_keys(dir.path());
    let (code, _, err) = run_env(dir.path(), &env, &["keys", "rotate"]);
    assert_ne!(code, 0);
    assert!(
        err.contains("provider = \"env\"") && err.contains(KEK_VAR),
        "{err}"
    );
    for (_, secret) in &env {
        assert!(!err.contains(secret.as_str()), "a secret leaked: {err}");
    }
    assert_eq!(wrapped_keys(dir.path()), before);
}

#[test]
fn file_provider_keeps_its_key_directory_and_rotation() {
    let dir = project();
    import_verify_and_read(dir.path(), &[]);
    for name in ["kek.key", "blind-index.key", "journal-signing.key"] {
        assert!(dir.path().join("keys").join(name).is_file(), "{name}");
    }
    let before = wrapped_keys(dir.path());
    let (code, _, err) = run(dir.path(), &["keys", "rotate"]);
    assert_eq!(code, 0, "{err}");
    assert_ne!(wrapped_keys(dir.path()), before);
    assert_eq!(run(dir.path(), &["audit", "verify"]).0, 0);
}
