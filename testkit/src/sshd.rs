//! A real OpenSSH sshd for the tests: its own keys, config and port on
//! 127.0.0.1, a fake `codex` on the remote PATH, killed and deleted on drop.
//! The SSH adapter's tests and the API tests of the devbox tools share it.
//!
//! When sshd cannot be had the tests print a skip line and pass, except
//! under `CI=true`, where they fail: CI must run scripts/ensure-sshd.sh.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::free_port;

pub use crate::beacon::Beacon;

const SSHD: &str = "/usr/sbin/sshd";

/// The fake `codex`: prints its working folder, whether stdin was at
/// end-of-file, and each argument, every item followed by a NUL so that
/// arguments with newlines stay distinct.
const FAKE_CODEX: &str = r#"#!/bin/sh
printf 'cwd=%s\0' "$PWD"
if read -r _line; then printf 'stdin=open\0'; else printf 'stdin=eof\0'; fi
printf 'argc=%s\0' "$#"
for a in "$@"; do printf 'arg=%s\0' "$a"; done
"#;

pub struct Sshd {
    child: Child,
    pub port: u16,
    /// Everything of this server: keys, config, log, fake programs, workdirs.
    pub dir: TempDir,
    pub user: String,
    /// The ed25519 client key (OpenSSH format), authorized.
    pub client_key: String,
    /// A known_hosts file with this server's host key.
    pub known_hosts: PathBuf,
}

/// How the server differs between tests.
#[derive(Default)]
pub struct Options {
    /// The remote PATH; `None` puts the fake `codex` folder before the usual one.
    pub path: Option<String>,
}

/// An sshd with default options, or `None` (skip) when none can be had here.
pub fn sshd() -> Option<Sshd> {
    sshd_with(Options::default())
}

pub fn sshd_with(options: Options) -> Option<Sshd> {
    if !Path::new(SSHD).exists() {
        return unavailable(&format!("{SSHD} is missing"));
    }
    if Command::new("ssh-keygen").arg("-?").output().is_err() {
        return unavailable("ssh-keygen is missing");
    }
    let user = run("id", &["-un"]).trim().to_string();
    if run("id", &["-u"]).trim() != "0" {
        return unavailable("the tests must run as root to start sshd");
    }
    let mut last = String::new();
    // A free port found by binding :0 may be taken again before sshd binds
    // it; try a few.
    for _ in 0..3 {
        match Sshd::start(&user, &options) {
            Ok(s) => return Some(s),
            Err(e) => last = e,
        }
    }
    unavailable(&format!("sshd did not start: {last}"))
}

fn unavailable<T>(reason: &str) -> Option<T> {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "SSH integration tests cannot run: {reason}. Install OpenSSH with \
             scripts/ensure-sshd.sh (as root) before the tests."
        );
    }
    // Straight to the stderr handle: libtest hides `eprintln!` of passing tests.
    let _ = writeln!(
        std::io::stderr(),
        "skipping SSH integration test: {reason} (run scripts/ensure-sshd.sh; fails under CI=true)"
    );
    None
}

impl Sshd {
    fn start(user: &str, options: &Options) -> Result<Sshd, String> {
        let dir = tempfile::Builder::new()
            .prefix("sybil-sshd-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let d = dir.path();
        keygen(&d.join("hostkey"), &["-t", "ed25519"]);
        keygen(&d.join("client"), &["-t", "ed25519"]);
        let client_key = std::fs::read_to_string(d.join("client")).unwrap();
        std::fs::copy(d.join("client.pub"), d.join("authorized_keys")).unwrap();

        let bin = d.join("bin");
        std::fs::create_dir(&bin).unwrap();
        write_executable(&bin.join("codex"), FAKE_CODEX);

        let port = free_port();
        let host_pub = std::fs::read_to_string(d.join("hostkey.pub")).unwrap();
        let known_hosts = d.join("known_hosts");
        std::fs::write(&known_hosts, known_hosts_line(port, &host_pub)).unwrap();

        let path = options.path.clone().unwrap_or_else(|| {
            format!(
                "{}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                bin.display()
            )
        });
        let config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {hostkey}\n\
             AuthorizedKeysFile {dir}/authorized_keys\nPubkeyAuthentication yes\n\
             PasswordAuthentication no\nKbdInteractiveAuthentication no\n\
             PermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\n\
             PidFile {dir}/sshd.pid\nSetEnv PATH={path}\nLogLevel VERBOSE\n",
            hostkey = d.join("hostkey").display(),
            dir = d.display(),
        );
        std::fs::write(d.join("sshd_config"), config).unwrap();
        // sshd insists on its privilege-separation folder.
        std::fs::create_dir_all("/run/sshd").map_err(|e| e.to_string())?;

        let log = std::fs::File::create(d.join("sshd.log")).unwrap();
        let child = Command::new(SSHD)
            .arg("-D")
            .arg("-e")
            .arg("-f")
            .arg(d.join("sshd_config"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot run {SSHD}: {e}"))?;
        let mut sshd = Sshd {
            child,
            port,
            dir,
            user: user.to_string(),
            client_key,
            known_hosts,
        };
        sshd.wait_ready()?;
        Ok(sshd)
    }

    /// Ready when the port answers with an SSH banner; fails when sshd exits.
    fn wait_ready(&mut self) -> Result<(), String> {
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("sshd exited ({status}): {}", self.log()));
            }
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) {
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let mut banner = [0u8; 8];
                if s.read_exact(&mut banner).is_ok() && banner.starts_with(b"SSH-2.0") {
                    return Ok(());
                }
            }
            // Polled: sshd (without systemd) tells no one that it listens.
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!("sshd not ready after 10 s: {}", self.log()))
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }

    /// A new key pair (ssh-keygen `args`), authorized when `authorize`;
    /// returns the private key text.
    pub fn new_client_key(&self, name: &str, args: &[&str], authorize: bool) -> String {
        let path = self.dir.path().join(name);
        keygen(&path, args);
        if authorize {
            let public = std::fs::read_to_string(path.with_extension("pub")).unwrap();
            let auth = self.dir.path().join("authorized_keys");
            let mut all = std::fs::read_to_string(&auth).unwrap();
            all.push_str(&public);
            std::fs::write(auth, all).unwrap();
        }
        std::fs::read_to_string(path).unwrap()
    }

    /// A path inside this server's folder (which is deleted on drop).
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `[127.0.0.1]:PORT <type> <key>` from a `.pub` line (its comment dropped).
pub fn known_hosts_line(port: u16, public: &str) -> String {
    let mut fields = public.split_whitespace();
    let (kind, key) = (fields.next().unwrap(), fields.next().unwrap());
    format!("[127.0.0.1]:{port} {kind} {key}\n")
}

pub fn keygen(path: &Path, args: &[&str]) {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-N", "", "-C", "sybil-test", "-f"])
        .arg(path)
        .args(args)
        .stdin(Stdio::null())
        .status()
        .expect("ssh-keygen runs");
    assert!(status.success(), "ssh-keygen {args:?} failed");
}

pub fn write_executable(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    let status = Command::new("chmod").arg("755").arg(path).status().unwrap();
    assert!(status.success());
}

fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().expect(program);
    String::from_utf8_lossy(&out.stdout).into_owned()
}
