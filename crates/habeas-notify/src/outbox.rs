//! A mailer that writes each message as an RFC 5322 `.eml` file into a
//! directory: for operators without an SMTP relay (another tool picks the
//! files up, or staff send them by hand) and for tests.
//!
//! Each file appears whole or not at all: it is written to a hidden
//! temporary name, synced, then renamed into place, so a reader polling the
//! directory never sees half a message. Files are readable by the owner
//! only: they hold personal data.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use chrono::{DateTime, Utc};

use crate::config::ConfigError;
use crate::error::SendError;
use crate::mail::{Mailer, MessageId, OutgoingMail};
use crate::message::Sender;

#[derive(Debug)]
pub struct OutboxMailer {
    dir: PathBuf,
    sender: Sender,
}

impl OutboxMailer {
    /// The directory must exist already: a mistyped path should fail at
    /// start-up, not create a directory nobody reads.
    pub fn new(dir: impl Into<PathBuf>, sender: Sender) -> Result<OutboxMailer, ConfigError> {
        let dir = dir.into();
        if !dir.is_dir() {
            return Err(ConfigError::OutboxMissing { dir });
        }
        Ok(OutboxMailer { dir, sender })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn error(&self, e: &std::io::Error) -> SendError {
        SendError::Outbox {
            dir: self.dir.clone(),
            reason: e.kind().to_string(),
        }
    }
}

impl Mailer for OutboxMailer {
    fn send(&self, mail: &OutgoingMail) -> Result<MessageId, SendError> {
        let id = self.sender.new_message_id()?;
        let now = SystemTime::now();
        let message = self.sender.render(mail, &id, now)?;
        let stamp = DateTime::<Utc>::from(now).format("%Y%m%dT%H%M%S%.6fZ");
        // The random part of the Message-ID keeps names unique; the kind
        // tells an operator what the file is without opening it.
        let unique = id
            .as_str()
            .trim_start_matches('<')
            .split('@')
            .next()
            .unwrap_or_default();
        let name = format!("{stamp}-{}-{unique}.eml", mail.kind.key());
        let temp = self.dir.join(format!(".{name}.tmp"));
        let write = || -> std::io::Result<()> {
            let mut file = create_private(&temp)?;
            file.write_all(&message)?;
            file.sync_all()?;
            fs::rename(&temp, self.dir.join(&name))?;
            // Make the rename durable; a directory that cannot be opened
            // or synced (some platforms) does not undo the write.
            if let Ok(dir) = File::open(&self.dir) {
                let _ = dir.sync_all();
            }
            Ok(())
        };
        write().map_err(|e| {
            let _ = fs::remove_file(&temp);
            self.error(&e)
        })?;
        Ok(id)
    }
}

fn create_private(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}
