//! Knowing which remote processes to kill.
//!
//! Closing an SSH channel does not stop the command behind it (sshd only
//! closes its pipes, and `sleep 30` never notices), so the command has to be
//! killed explicitly. sshd starts each exec request in a new session
//! (`setsid`), so the shell that runs it leads its own session and process
//! group, whose id is that shell's `$$`. The wrapper prints `$$` on stdout
//! before anything else and `exec`s the real command, keeping that PID; at a
//! timeout or on cancellation a second channel signals the whole group and
//! session: TERM, a short grace, then KILL.

use sybil_domain::devbox::shell_quote;

const MARKER: &[u8] = b"__SYBIL_REMOTE_PID__";

/// Held-back stdout beyond this without a complete marker line means the
/// wrapper did not run as expected; everything is then passed through.
const MAX_PENDING: usize = 64 * 1024;

/// `command` prefixed with the PID report, run by `sh` so that only a POSIX
/// shell parses the caller's line.
pub fn wrap(command: &str) -> String {
    format!(
        "printf '{}%s\\n' \"$$\"; exec sh -c {}",
        String::from_utf8_lossy(MARKER),
        shell_quote(command)
    )
}

/// The script for the second channel. `pid` must be at least 2: `kill -- -1`
/// would signal every process of the user.
pub fn kill_script(pid: u32) -> Option<String> {
    if pid < 2 {
        return None;
    }
    // `-- -PID` is the process group; `pkill -s PID` also reaches children
    // that moved to another group of the same session. `sleep 0.1` is not
    // POSIX: where it fails, `sleep 1` keeps the loop from spinning.
    Some(format!(
        "p={pid}; kill -TERM -- -$p 2>/dev/null; pkill -TERM -s $p 2>/dev/null; i=0; \
         while [ $i -lt 20 ] && {{ kill -0 -- -$p 2>/dev/null || pgrep -s $p >/dev/null 2>&1; }}; \
         do sleep 0.1 2>/dev/null || sleep 1; i=$((i+1)); done; \
         kill -KILL -- -$p 2>/dev/null; pkill -KILL -s $p 2>/dev/null; exit 0"
    ))
}

/// Strips the PID line from the start of stdout and remembers the PID.
#[derive(Debug, Default)]
pub struct PidScanner {
    pending: Vec<u8>,
    pid: Option<u32>,
    done: bool,
}

impl PidScanner {
    /// Takes the next stdout bytes; returns those that belong to the output.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<u8> {
        if self.done {
            return bytes.to_vec();
        }
        self.pending.extend_from_slice(bytes);
        if let Some(start) = find(&self.pending, MARKER) {
            let after = start + MARKER.len();
            if let Some(nl) = self.pending[after..].iter().position(|b| *b == b'\n') {
                let digits = &self.pending[after..after + nl];
                self.pid = std::str::from_utf8(digits)
                    .ok()
                    .and_then(|d| d.parse::<u32>().ok())
                    .filter(|p| *p >= 2);
                let mut out = self.pending[..start].to_vec();
                out.extend_from_slice(&self.pending[after + nl + 1..]);
                self.pending.clear();
                self.done = true;
                return out;
            }
        }
        if self.pending.len() > MAX_PENDING {
            self.done = true;
            return std::mem::take(&mut self.pending);
        }
        Vec::new()
    }

    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// Whether the PID line has been seen (or given up on).
    pub fn settled(&self) -> bool {
        self.done
    }

    /// Whatever is still held back, at the end of the output.
    pub fn finish(&mut self) -> Vec<u8> {
        self.done = true;
        std::mem::take(&mut self.pending)
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn scanner_strips_the_pid_line_even_split_across_reads() {
        let mut s = PidScanner::default();
        assert_eq!(s.feed(b"rc noise\n__SYBIL_REM"), b"");
        assert_eq!(s.feed(b"OTE_PID__4242"), b"");
        assert_eq!(s.pid(), None);
        assert_eq!(s.feed(b"\nhello"), b"rc noise\nhello");
        assert_eq!(s.pid(), Some(4242));
        assert!(s.settled());
        // A later marker is output, not a PID.
        assert_eq!(
            s.feed(b"__SYBIL_REMOTE_PID__1\n"),
            b"__SYBIL_REMOTE_PID__1\n"
        );
        assert_eq!(s.pid(), Some(4242));
    }

    #[test]
    fn scanner_refuses_pid_zero_and_one() {
        for line in [
            &b"__SYBIL_REMOTE_PID__1\n"[..],
            b"__SYBIL_REMOTE_PID__0\n",
            b"__SYBIL_REMOTE_PID__x\n",
        ] {
            let mut s = PidScanner::default();
            s.feed(line);
            assert_eq!(s.pid(), None);
        }
    }

    #[test]
    fn scanner_without_marker_gives_everything_back() {
        let mut s = PidScanner::default();
        assert_eq!(s.feed(b"partial"), b"");
        assert_eq!(s.finish(), b"partial");
        let mut big = PidScanner::default();
        assert_eq!(
            big.feed(&vec![b'x'; MAX_PENDING + 1]).len(),
            MAX_PENDING + 1
        );
    }

    #[test]
    fn kill_script_never_targets_pid_zero_or_one() {
        assert_eq!(kill_script(0), None);
        assert_eq!(kill_script(1), None);
        assert!(
            kill_script(1234)
                .unwrap()
                .starts_with("p=1234; kill -TERM -- -$p")
        );
    }

    #[test]
    fn wrapper_reports_its_pid_then_runs_the_command_unchanged() {
        let out = Command::new("sh")
            .arg("-c")
            .arg(wrap("printf '%s' \"$$\" 'a b'\\''c'"))
            .output()
            .unwrap();
        let mut s = PidScanner::default();
        let body = s.feed(&out.stdout);
        let pid = s.pid().unwrap();
        // `exec` keeps the PID: the command's own `$$` is the reported one.
        assert_eq!(String::from_utf8(body).unwrap(), format!("{pid}a b'c"));
    }

    #[test]
    fn kill_script_is_valid_sh() {
        let status = Command::new("sh")
            .arg("-n")
            .arg("-c")
            .arg(kill_script(99999).unwrap())
            .status()
            .unwrap();
        assert!(status.success());
    }
}
