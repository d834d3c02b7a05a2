//! A real SMTP server for tests: [`SmtpSink`] listens on 127.0.0.1 (a free
//! port), speaks enough of RFC 5321 (EHLO/HELO, STARTTLS, AUTH PLAIN, MAIL,
//! RCPT, DATA, RSET, NOOP, QUIT) to receive messages, and keeps them for the
//! test to inspect. With STARTTLS it presents a certificate for `localhost`
//! and `127.0.0.1` issued by a test-only CA ([`TEST_CA_PEM`]), so the
//! mailer's real TLS path is exercised. It can also misbehave on purpose (refuse a recipient, drop
//! the connection at a given command) so error paths are tested against a
//! real socket rather than a mock.
//!
//! Enabled by the `testing` cargo feature:
//!
//! ```toml
//! [dev-dependencies]
//! habeas-notify = { workspace = true, features = ["testing"] }
//! ```

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use base64::Engine as _;

use crate::config::MailerConfig;

/// The CA that issued the sink's certificate. Trust it (the mailer's
/// `ca_file`) to send to a sink started with [`SinkOptions::starttls`].
/// Test-only: its private key was discarded after signing.
pub const TEST_CA_PEM: &str = include_str!("testing_tls/ca.pem");
const SINK_CERT_PEM: &str = include_str!("testing_tls/localhost.pem");
const SINK_KEY_PEM: &str = include_str!("testing_tls/localhost.key");

const MAX_LINE: usize = 4096;
const MAX_MESSAGE: usize = 10 * 1024 * 1024;

/// One message as the sink received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// The `MAIL FROM` address.
    pub mail_from: String,
    /// The `RCPT TO` addresses accepted.
    pub rcpt_to: Vec<String>,
    /// The message bytes after dot-unstuffing, CRLF line endings.
    pub data: Vec<u8>,
    /// The username the client authenticated with, if it did.
    pub auth_user: Option<String>,
    /// Whether the message travelled over TLS (after STARTTLS).
    pub tls: bool,
}

impl ReceivedMail {
    /// The message parsed with `mail-parser`.
    pub fn parsed(&self) -> Option<mail_parser::Message<'_>> {
        mail_parser::MessageParser::default().parse(&self.data)
    }

    /// The raw message as text (it is 7-bit when Habeas sent it).
    pub fn raw(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }
}

/// How the sink behaves.
#[derive(Debug, Clone, Default)]
pub struct SinkOptions {
    refused_recipients: Vec<String>,
    deferred_recipients: Vec<String>,
    drop_at: Option<String>,
    login: Option<(String, String)>,
    starttls: bool,
}

impl SinkOptions {
    /// Answer `550` to `RCPT TO` for this address (the reply text repeats
    /// the address, as real relays do).
    pub fn refuse_recipient(mut self, address: &str) -> Self {
        self.refused_recipients.push(address.to_ascii_lowercase());
        self
    }

    /// Answer `450` (a temporary refusal: try again later) to `RCPT TO` for
    /// this address.
    pub fn defer_recipient(mut self, address: &str) -> Self {
        self.deferred_recipients.push(address.to_ascii_lowercase());
        self
    }

    /// Close the connection without a reply when the client sends this
    /// command (`MAIL`, `RCPT`, `DATA`), or after the message content for
    /// `.` (the end-of-data line).
    pub fn drop_connection_at(mut self, command: &str) -> Self {
        self.drop_at = Some(command.to_ascii_uppercase());
        self
    }

    /// Offer STARTTLS with the test certificate (see [`TEST_CA_PEM`]).
    pub fn starttls(mut self) -> Self {
        self.starttls = true;
        self
    }

    /// Advertise AUTH PLAIN and require this login before `MAIL`.
    pub fn require_login(mut self, user: &str, password: &str) -> Self {
        self.login = Some((user.into(), password.into()));
        self
    }
}

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<ReceivedMail>>,
    arrived: Condvar,
}

/// The running sink. Dropping it stops the server.
pub struct SmtpSink {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl SmtpSink {
    /// A sink that accepts every message.
    pub fn start() -> std::io::Result<SmtpSink> {
        SmtpSink::start_with(SinkOptions::default())
    }

    pub fn start_with(options: SinkOptions) -> std::io::Result<SmtpSink> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let shared = Arc::clone(&shared);
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name("smtp-sink".into())
                .spawn(move || {
                    for stream in listener.incoming() {
                        if stop.load(Ordering::SeqCst) {
                            break;
                        }
                        if let Ok(stream) = stream {
                            // A client error ends that session only.
                            let _ = Session::new(&options, &shared).run(stream);
                        }
                    }
                })?
        };
        Ok(SmtpSink {
            addr,
            shared,
            stop,
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `smtp://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// A mailer configuration that sends to this sink (plain SMTP, which
    /// Habeas allows to loopback only).
    pub fn mailer_config(&self, from: &str) -> MailerConfig {
        let mut config = MailerConfig::new(self.url(), from);
        config.insecure_plaintext = true;
        config.timeout_secs = 5;
        config
    }

    /// A configuration for a sink started with [`SinkOptions::starttls`]:
    /// TLS required (the default), trusting the test CA from `ca_file`
    /// (write [`TEST_CA_PEM`] there).
    pub fn tls_mailer_config(&self, from: &str, ca_file: &Path) -> MailerConfig {
        let mut config = MailerConfig::new(self.url(), from);
        config.ca_file = Some(ca_file.to_path_buf());
        config.timeout_secs = 5;
        config
    }

    /// Every message received so far.
    pub fn received(&self) -> Vec<ReceivedMail> {
        self.shared
            .received
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Waits until at least `count` messages arrived or `timeout` passed,
    /// then returns what arrived.
    pub fn wait_for(&self, count: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let deadline = Instant::now() + timeout;
        let mut received = self
            .shared
            .received
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        while received.len() < count {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            received = self
                .shared
                .arrived
                .wait_timeout(received, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        received.clone()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A byte stream the session reads and writes: TCP, then TLS after
/// STARTTLS.
trait Stream: Read + Write {}
impl<T: Read + Write> Stream for T {}

type Conn = BufReader<Box<dyn Stream>>;

/// One SMTP session.
struct Session<'a> {
    options: &'a SinkOptions,
    shared: &'a Shared,
    mail_from: Option<String>,
    rcpt_to: Vec<String>,
    auth_user: Option<String>,
    tls: bool,
}

enum Next {
    Continue,
    Close,
    StartTls,
}

impl<'a> Session<'a> {
    fn new(options: &'a SinkOptions, shared: &'a Shared) -> Self {
        Session {
            options,
            shared,
            mail_from: None,
            rcpt_to: Vec::new(),
            auth_user: None,
            tls: false,
        }
    }

    fn run(mut self, stream: TcpStream) -> std::io::Result<()> {
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        let raw = stream.try_clone()?;
        let mut conn: Conn = BufReader::new(Box::new(stream));
        conn.get_mut()
            .write_all(b"220 habeas-sink ESMTP ready\r\n")?;
        loop {
            let Some(line) = read_line(&mut conn)? else {
                return Ok(());
            };
            let line = String::from_utf8_lossy(&line).trim_end().to_string();
            let verb = line
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_ascii_uppercase();
            if self.options.drop_at.as_deref() == Some(verb.as_str()) {
                return Ok(());
            }
            match self.command(&verb, &line, &mut conn)? {
                Next::Continue => {}
                Next::Close => return Ok(()),
                Next::StartTls => {
                    // RFC 3207 §4.2: forget everything said before TLS.
                    let tls = rustls::StreamOwned::new(server_tls()?, raw.try_clone()?);
                    conn = BufReader::new(Box::new(tls));
                    self.mail_from = None;
                    self.rcpt_to.clear();
                    self.auth_user = None;
                    self.tls = true;
                }
            }
        }
    }

    fn command(&mut self, verb: &str, line: &str, conn: &mut Conn) -> std::io::Result<Next> {
        let arg = line.get(verb.len()..).unwrap_or_default().trim();
        match verb {
            "EHLO" => {
                let auth = if self.options.login.is_some() {
                    "250-AUTH PLAIN\r\n"
                } else {
                    ""
                };
                let starttls = if self.options.starttls && !self.tls {
                    "250-STARTTLS\r\n"
                } else {
                    ""
                };
                write!(
                    conn.get_mut(),
                    "250-habeas-sink\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n{starttls}{auth}250 SIZE {MAX_MESSAGE}\r\n"
                )?;
            }
            "STARTTLS" if self.options.starttls && !self.tls => {
                conn.get_mut()
                    .write_all(b"220 2.0.0 Ready to start TLS\r\n")?;
                return Ok(Next::StartTls);
            }
            "HELO" => conn.get_mut().write_all(b"250 habeas-sink\r\n")?,
            "AUTH" => self.auth(arg, conn.get_mut())?,
            "MAIL" => {
                if self.options.login.is_some() && self.auth_user.is_none() {
                    conn.get_mut()
                        .write_all(b"530 5.7.0 Authentication required\r\n")?;
                } else {
                    self.mail_from = Some(angle(arg));
                    self.rcpt_to.clear();
                    conn.get_mut().write_all(b"250 2.1.0 Ok\r\n")?;
                }
            }
            "RCPT" => {
                let address = angle(arg);
                if self.mail_from.is_none() {
                    conn.get_mut()
                        .write_all(b"503 5.5.1 Error: need MAIL command\r\n")?;
                } else if self
                    .options
                    .refused_recipients
                    .contains(&address.to_ascii_lowercase())
                {
                    write!(
                        conn.get_mut(),
                        "550 5.1.1 <{address}>: Recipient address rejected: User unknown\r\n"
                    )?;
                } else if self
                    .options
                    .deferred_recipients
                    .contains(&address.to_ascii_lowercase())
                {
                    write!(
                        conn.get_mut(),
                        "450 4.2.1 <{address}>: Mailbox busy, try again later\r\n"
                    )?;
                } else {
                    self.rcpt_to.push(address);
                    conn.get_mut().write_all(b"250 2.1.5 Ok\r\n")?;
                }
            }
            "DATA" => {
                if self.rcpt_to.is_empty() {
                    conn.get_mut()
                        .write_all(b"503 5.5.1 Error: need RCPT command\r\n")?;
                    return Ok(Next::Continue);
                }
                conn.get_mut()
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")?;
                let Some(data) = read_data(conn)? else {
                    return Ok(Next::Close);
                };
                if self.options.drop_at.as_deref() == Some(".") {
                    return Ok(Next::Close);
                }
                if data.len() > MAX_MESSAGE {
                    conn.get_mut().write_all(b"552 5.3.4 Message too big\r\n")?;
                } else {
                    let mail = ReceivedMail {
                        mail_from: self.mail_from.take().unwrap_or_default(),
                        rcpt_to: std::mem::take(&mut self.rcpt_to),
                        data,
                        auth_user: self.auth_user.clone(),
                        tls: self.tls,
                    };
                    self.shared
                        .received
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(mail);
                    self.shared.arrived.notify_all();
                    conn.get_mut().write_all(b"250 2.0.0 Ok: queued\r\n")?;
                }
            }
            "RSET" => {
                self.mail_from = None;
                self.rcpt_to.clear();
                conn.get_mut().write_all(b"250 2.0.0 Ok\r\n")?;
            }
            "NOOP" => conn.get_mut().write_all(b"250 2.0.0 Ok\r\n")?,
            "QUIT" => {
                conn.get_mut().write_all(b"221 2.0.0 Bye\r\n")?;
                return Ok(Next::Close);
            }
            _ => conn
                .get_mut()
                .write_all(b"502 5.5.2 Error: command not recognized\r\n")?,
        }
        Ok(Next::Continue)
    }

    /// `AUTH PLAIN <base64 of "\0user\0password">` (RFC 4616).
    fn auth(&mut self, arg: &str, w: &mut dyn Stream) -> std::io::Result<()> {
        let Some((user, password)) = &self.options.login else {
            return w.write_all(b"502 5.5.2 Error: AUTH not offered\r\n");
        };
        let mut parts = arg.split_whitespace();
        let mechanism = parts.next().unwrap_or_default();
        let decoded = parts
            .next()
            .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
            .unwrap_or_default();
        let fields: Vec<&[u8]> = decoded.split(|b| *b == 0).collect();
        let ok = mechanism.eq_ignore_ascii_case("PLAIN")
            && fields.len() == 3
            && fields[1] == user.as_bytes()
            && fields[2] == password.as_bytes();
        if ok {
            self.auth_user = Some(user.clone());
            w.write_all(b"235 2.7.0 Authentication successful\r\n")
        } else {
            w.write_all(b"535 5.7.8 Error: authentication failed\r\n")
        }
    }
}

/// The server side of the sink's TLS: the test certificate for
/// `localhost` / `127.0.0.1`.
fn server_tls() -> std::io::Result<rustls::ServerConnection> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let invalid = |e: &dyn std::fmt::Display| std::io::Error::other(e.to_string());
    let certs = CertificateDer::pem_slice_iter(SINK_CERT_PEM.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(&e))?;
    let key = PrivateKeyDer::from_pem_slice(SINK_KEY_PEM.as_bytes()).map_err(|e| invalid(&e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(&e))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| invalid(&e))?;
    rustls::ServerConnection::new(Arc::new(config)).map_err(|e| invalid(&e))
}

/// `FROM:<a@b> SMTPUTF8` → `a@b`.
fn angle(arg: &str) -> String {
    match (arg.find('<'), arg.find('>')) {
        (Some(start), Some(end)) if start < end => arg[start + 1..end].to_string(),
        _ => arg
            .split_once(':')
            .map(|(_, a)| a.trim().to_string())
            .unwrap_or_default(),
    }
}

fn read_line(reader: &mut Conn) -> std::io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    let n = reader
        .by_ref()
        .take(MAX_LINE as u64)
        .read_until(b'\n', &mut line)?;
    Ok((n > 0).then_some(line))
}

/// The message content up to the `.` line, dot-unstuffed (RFC 5321 §4.5.2).
fn read_data(reader: &mut Conn) -> std::io::Result<Option<Vec<u8>>> {
    let mut data = Vec::new();
    loop {
        let Some(line) = read_line(reader)? else {
            return Ok(None);
        };
        if line == b".\r\n" || line == b".\n" {
            return Ok(Some(data));
        }
        let line = line.strip_prefix(b".").unwrap_or(&line);
        if data.len() <= MAX_MESSAGE {
            data.extend_from_slice(line);
        }
    }
}
