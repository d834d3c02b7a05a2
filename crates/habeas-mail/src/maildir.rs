//! Hand-over or destruction of a leaving user's personal mail (SPEC C12).
//!
//! A message of a Maildir++ mailbox (Dovecot's default layout: INBOX at the
//! root, folders as `.Name` directories, names in modified UTF-7) is personal
//! when any of these holds:
//! * it is in the user's perso folder (or one of its subfolders);
//! * it carries the `$Perso` keyword (Dovecot keeps keywords as letters in the
//!   file name, mapped by each folder's `dovecot-keywords` file);
//! * its topmost `X-Habeas-Class` is `perso` (set by the filter, which removes
//!   incoming copies of that field);
//! * its decoded Subject contains the user's subject tag (when one is set);
//! * its headers classify as perso with the user's current lists.
//!
//! Only `cur/` and `new/` are read; `tmp/` holds deliveries in progress.
//! Export writes an mboxrd file (every `>*From ` body line gets one more
//! `>`), atomically. Purge deletes exactly the listed files and fsyncs their
//! directories; every other file is left byte-identical (Dovecot's index
//! files notice the missing messages on next access). Both emit a structured
//! `tracing` event without personal data; wiring it to the audit journal
//! comes with the engine.

use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use memchr::{memchr, memmem};

use crate::classify::Class;
use crate::filter::classify_raw;
use crate::lists::{PERSO_KEYWORD, UserLists};
use crate::mutf7;
use crate::store::sync_dir;

/// Headers larger than this are not read further (the message is then
/// classified on what was read).
const MAX_HEADER_READ: usize = 1 << 20;

/// Why a message was found personal (the first reason that matched).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersoReason {
    Folder,
    Keyword,
    HabeasHeader,
    SubjectTag,
    List,
}

impl PersoReason {
    pub fn as_str(self) -> &'static str {
        match self {
            PersoReason::Folder => "folder",
            PersoReason::Keyword => "keyword",
            PersoReason::HabeasHeader => "x-habeas-class",
            PersoReason::SubjectTag => "subject-tag",
            PersoReason::List => "list",
        }
    }
}

/// One personal message found in the Maildir.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersoMessage {
    /// Path relative to the Maildir root.
    pub relative: PathBuf,
    pub reason: PersoReason,
    pub size: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum MaildirError {
    #[error(
        "ce n'est pas un Maildir (cur/ et new/ manquent) : {0} / not a Maildir (cur/ and new/ missing): {0}"
    )]
    NotMaildir(PathBuf),
    #[error(
        "le fichier existe déjà, choisissez un autre nom : {0} / the file already exists, choose another name: {0}"
    )]
    OutputExists(PathBuf),
    #[error("erreur d'entrée-sortie sur {path} / I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

fn io_err(path: &Path, source: io::Error) -> MaildirError {
    MaildirError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A folder of the Maildir++ tree.
struct Folder {
    dir: PathBuf,
    is_perso_folder: bool,
    keyword_letter: Option<u8>,
}

fn folders(root: &Path, lists: &UserLists) -> Result<Vec<Folder>, MaildirError> {
    if !root.join("cur").is_dir() && !root.join("new").is_dir() {
        return Err(MaildirError::NotMaildir(root.to_path_buf()));
    }
    let perso_dir = lists
        .settings
        .tag
        .folder
        .as_deref()
        .map(|f| format!(".{}", mutf7::encode(f)));
    let mut out = vec![Folder {
        dir: root.to_path_buf(),
        is_perso_folder: false,
        keyword_letter: keyword_letter(root)?,
    }];
    let mut names = Vec::new();
    for entry in fs::read_dir(root).map_err(|e| io_err(root, e))? {
        let entry = entry.map_err(|e| io_err(root, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') && name != "." && name != ".." && entry.path().is_dir() {
            names.push(name);
        }
    }
    names.sort();
    for name in names {
        let dir = root.join(&name);
        let is_perso_folder = perso_dir.as_deref().is_some_and(|perso| {
            name == perso || name.strip_prefix(perso).is_some_and(|r| r.starts_with('.'))
        });
        out.push(Folder {
            keyword_letter: keyword_letter(&dir)?,
            dir,
            is_perso_folder,
        });
    }
    Ok(out)
}

/// The file-name letter Dovecot uses for `$Perso` in this folder, if any.
fn keyword_letter(dir: &Path) -> Result<Option<u8>, MaildirError> {
    let path = dir.join("dovecot-keywords");
    let text = match fs::read(&path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(&path, e)),
    };
    for line in text.lines() {
        let Some((index, name)) = line.split_once(' ') else {
            continue;
        };
        if name.trim().eq_ignore_ascii_case(PERSO_KEYWORD)
            && let Ok(index) = index.parse::<u8>()
            && index < 26
        {
            return Ok(Some(b'a' + index));
        }
    }
    Ok(None)
}

/// The Maildir info flags of a file name (`…:2,FSa` → `FSa`).
fn info_flags(name: &str) -> &str {
    name.rsplit_once(":2,").map_or("", |(_, flags)| flags)
}

/// Reads the header block of a message file (or its first MiB).
fn read_header(path: &Path) -> io::Result<Vec<u8>> {
    let mut file = File::open(path)?;
    let mut buf = Vec::with_capacity(8192);
    let mut chunk = [0u8; 8192];
    loop {
        let n = file.read(&mut chunk)?;
        if n == 0 {
            return Ok(buf);
        }
        let search_from = buf.len().saturating_sub(3);
        buf.extend_from_slice(&chunk[..n]);
        let tail = &buf[search_from..];
        if let Some(i) = memmem::find(tail, b"\n\n").or_else(|| memmem::find(tail, b"\n\r\n")) {
            let end = search_from + i + 1;
            let blank = if buf[end] == b'\r' { 2 } else { 1 };
            buf.truncate(end + blank);
            return Ok(buf);
        }
        if buf.len() >= MAX_HEADER_READ {
            return Ok(buf);
        }
    }
}

/// Every personal message of the Maildir at `root`, sorted by path.
pub fn find_perso(root: &Path, lists: &UserLists) -> Result<Vec<PersoMessage>, MaildirError> {
    let mut found = Vec::new();
    for folder in folders(root, lists)? {
        for sub in ["cur", "new"] {
            let dir = folder.dir.join(sub);
            let entries = match fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io_err(&dir, e)),
            };
            for entry in entries {
                let entry = entry.map_err(|e| io_err(&dir, e))?;
                let path = entry.path();
                let metadata = match entry.metadata() {
                    Ok(m) if m.is_file() => m,
                    Ok(_) => continue,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(io_err(&path, e)),
                };
                let name = entry.file_name().to_string_lossy().into_owned();
                let reason = match message_reason(&folder, &name, &path, lists) {
                    Ok(reason) => reason,
                    // Moved by Dovecot (new → cur) while we walked: it is seen
                    // under its new name, or on the next run.
                    Err(e) if e.kind() == io::ErrorKind::NotFound => None,
                    Err(e) => return Err(io_err(&path, e)),
                };
                if let Some(reason) = reason {
                    let relative = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
                    found.push(PersoMessage {
                        relative,
                        reason,
                        size: metadata.len(),
                    });
                }
            }
        }
    }
    found.sort_by(|a, b| a.relative.cmp(&b.relative));
    Ok(found)
}

fn message_reason(
    folder: &Folder,
    name: &str,
    path: &Path,
    lists: &UserLists,
) -> io::Result<Option<PersoReason>> {
    if folder.is_perso_folder {
        return Ok(Some(PersoReason::Folder));
    }
    if let Some(letter) = folder.keyword_letter
        && info_flags(name).as_bytes().contains(&letter)
    {
        return Ok(Some(PersoReason::Keyword));
    }
    let header = read_header(path)?;
    let Some((class, _, addresses)) = classify_raw(lists, &header) else {
        return Ok(None);
    };
    if addresses.habeas_class.as_deref() == Some("perso") {
        return Ok(Some(PersoReason::HabeasHeader));
    }
    if let (Some(tag), Some(subject)) = (&lists.settings.tag.subject, &addresses.subject)
        && crate::filter::contains_ignore_ascii_case(subject, tag)
    {
        return Ok(Some(PersoReason::SubjectTag));
    }
    Ok((class == Class::Perso).then_some(PersoReason::List))
}

/// Totals of an export or a purge.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub messages: usize,
    pub bytes: u64,
}

/// Writes the messages into a new mboxrd file at `out` (refuses to overwrite).
pub fn export_mbox(
    root: &Path,
    messages: &[PersoMessage],
    out: &Path,
) -> Result<Totals, MaildirError> {
    if out.exists() {
        return Err(MaildirError::OutputExists(out.to_path_buf()));
    }
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
    let result = write_mbox(root, messages, &tmp).and_then(|totals| {
        fs::rename(&tmp, out).map_err(|e| io_err(out, e))?;
        sync_dir(&dir).map_err(|e| io_err(&dir, e))?;
        Ok(totals)
    });
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    let totals = result?;
    tracing::info!(
        target: "habeas_mail::audit",
        action = "perso_export",
        messages = totals.messages,
        bytes = totals.bytes,
        "personal mail exported to mbox"
    );
    Ok(totals)
}

fn write_mbox(root: &Path, messages: &[PersoMessage], tmp: &Path) -> Result<Totals, MaildirError> {
    let file = File::create(tmp).map_err(|e| io_err(tmp, e))?;
    let mut writer = BufWriter::with_capacity(1 << 20, file);
    let mut totals = Totals::default();
    for message in messages {
        let path = root.join(&message.relative);
        let raw = fs::read(&path).map_err(|e| io_err(&path, e))?;
        let metadata_time = fs::metadata(&path).and_then(|m| m.modified()).ok();
        let line = separator_line(&raw, &message.relative, metadata_time);
        write_mboxrd(&mut writer, &line, &raw).map_err(|e| io_err(tmp, e))?;
        totals.messages += 1;
        totals.bytes += raw.len() as u64;
    }
    let file = writer
        .into_inner()
        .map_err(|e| io_err(tmp, e.into_error()))?;
    file.sync_all().map_err(|e| io_err(tmp, e))?;
    Ok(totals)
}

/// `From <sender> <asctime>`: Return-Path, else the first From, else
/// MAILER-DAEMON; the delivery time from the Maildir file name, else mtime.
fn separator_line(raw: &[u8], relative: &Path, mtime: Option<std::time::SystemTime>) -> String {
    let header = crate::filter::scan_headers(raw)
        .map(|b| &raw[..b.body_start])
        .unwrap_or_default();
    let sender = mail_parser::MessageParser::new()
        .parse_headers(header)
        .and_then(|m| {
            let return_path = m.return_address().map(str::to_string);
            return_path.or_else(|| {
                m.from()
                    .and_then(|a| a.first())
                    .and_then(|a| a.address())
                    .map(str::to_string)
            })
        })
        .filter(|s| !s.is_empty() && !s.contains(char::is_whitespace))
        .unwrap_or_else(|| "MAILER-DAEMON".to_string());
    let from_name = relative
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.split('.').next())
        .and_then(|n| n.parse::<i64>().ok());
    let from_mtime = mtime
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .and_then(|d| i64::try_from(d.as_secs()).ok());
    let secs = from_name.or(from_mtime).unwrap_or(0);
    let date = chrono::DateTime::from_timestamp(secs, 0).unwrap_or_default();
    format!("From {sender} {}\n", date.format("%a %b %e %H:%M:%S %Y"))
}

/// Writes one message in mboxrd form.
pub fn write_mboxrd(out: &mut impl Write, separator: &str, raw: &[u8]) -> io::Result<()> {
    out.write_all(separator.as_bytes())?;
    let mut pos = 0;
    while pos < raw.len() {
        let end = memchr(b'\n', &raw[pos..]).map_or(raw.len(), |i| pos + i + 1);
        let line = &raw[pos..end];
        let unquoted = line.iter().position(|&b| b != b'>').unwrap_or(line.len());
        if line[unquoted..].starts_with(b"From ") {
            out.write_all(b">")?;
        }
        out.write_all(line)?;
        pos = end;
    }
    if !raw.ends_with(b"\n") {
        out.write_all(b"\n")?;
    }
    out.write_all(b"\n")
}

/// Reads an mboxrd file back into messages (used by tests and by operators
/// checking an export): separators dropped, one `>` removed from `>+From `.
pub fn read_mboxrd(mbox: &[u8]) -> Vec<Vec<u8>> {
    let mut messages: Vec<Vec<u8>> = Vec::new();
    let mut pos = 0;
    while pos < mbox.len() {
        let end = memchr(b'\n', &mbox[pos..]).map_or(mbox.len(), |i| pos + i + 1);
        let line = &mbox[pos..end];
        if line.starts_with(b"From ") {
            messages.push(Vec::new());
        } else if let Some(current) = messages.last_mut() {
            let quotes = line.iter().position(|&b| b != b'>').unwrap_or(line.len());
            if quotes > 0 && line[quotes..].starts_with(b"From ") {
                current.extend_from_slice(&line[1..]);
            } else {
                current.extend_from_slice(line);
            }
        }
        pos = end;
    }
    for message in &mut messages {
        // Drop the blank line the writer added after each message.
        if message.ends_with(b"\n") {
            message.pop();
        }
    }
    messages
}

/// Deletes the listed messages and fsyncs their directories.
pub fn purge(root: &Path, messages: &[PersoMessage]) -> Result<Totals, MaildirError> {
    let mut totals = Totals::default();
    let mut dirs: Vec<PathBuf> = Vec::new();
    for message in messages {
        let path = root.join(&message.relative);
        match fs::remove_file(&path) {
            Ok(()) => {
                totals.messages += 1;
                totals.bytes += message.size;
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io_err(&path, e)),
        }
        if let Some(parent) = path.parent()
            && dirs.last().map(PathBuf::as_path) != Some(parent)
        {
            dirs.push(parent.to_path_buf());
        }
    }
    dirs.sort();
    dirs.dedup();
    for dir in dirs {
        sync_dir(&dir).map_err(|e| io_err(&dir, e))?;
    }
    tracing::info!(
        target: "habeas_mail::audit",
        action = "perso_purge",
        messages = totals.messages,
        bytes = totals.bytes,
        "personal mail purged"
    );
    Ok(totals)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mboxrd_quotes_and_unquotes_from_lines() {
        let raw = b"Subject: x\n\nFrom here\n>From there\n>>From far\nFromage\n";
        let mut out = Vec::new();
        write_mboxrd(&mut out, "From a@b Thu Jan  1 00:00:00 1970\n", raw).unwrap();
        let text = String::from_utf8(out.clone()).unwrap();
        assert!(text.contains("\n>From here\n>>From there\n>>>From far\nFromage\n"));
        assert_eq!(read_mboxrd(&out), vec![raw.to_vec()]);
    }

    #[test]
    fn info_flags_are_read() {
        assert_eq!(info_flags("1700000000.M1P2.host,S=10:2,Sab"), "Sab");
        assert_eq!(info_flags("1700000000.M1P2.host"), "");
    }
}
