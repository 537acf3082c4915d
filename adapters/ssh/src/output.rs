//! Collecting a remote command's output: bounded memory, lossy UTF-8, and an
//! exit status for commands that died of a signal.

/// Bytes kept per stream. The model sees at most 20,000 characters of a tool
/// output, so this only guards memory against a command that prints
/// gigabytes; the rest is still read (so the remote side never blocks on a
/// full window) and dropped.
pub const MAX_CAPTURE: usize = 1024 * 1024;

/// One stream's bytes, capped at [`MAX_CAPTURE`].
#[derive(Debug, Default)]
pub struct Capture {
    bytes: Vec<u8>,
    dropped: u64,
}

impl Capture {
    pub fn push(&mut self, data: &[u8]) {
        let room = MAX_CAPTURE.saturating_sub(self.bytes.len());
        let keep = room.min(data.len());
        self.bytes.extend_from_slice(&data[..keep]);
        self.dropped += (data.len() - keep) as u64;
    }

    /// The text, decoded lossily, with a note when bytes were dropped.
    pub fn into_text(self) -> String {
        let mut text = String::from_utf8_lossy(&self.bytes).into_owned();
        if self.dropped > 0 {
            text.push_str(&format!(
                "\n[sybil: {} more bytes of output were not kept]",
                self.dropped
            ));
        }
        text
    }
}

/// The shell's convention for a command killed by a signal: 128 + its number.
/// SSH reports the signal by name (`TERM`, `KILL`, …); unknown names map to 255.
pub fn signal_exit_status(name: &str) -> i32 {
    let name = name.trim_start_matches("SIG");
    let number = match name {
        "HUP" => 1,
        "INT" => 2,
        "QUIT" => 3,
        "ILL" => 4,
        "TRAP" => 5,
        "ABRT" => 6,
        "BUS" => 7,
        "FPE" => 8,
        "KILL" => 9,
        "USR1" => 10,
        "SEGV" => 11,
        "USR2" => 12,
        "PIPE" => 13,
        "ALRM" => 14,
        "TERM" => 15,
        _ => return 255,
    };
    128 + number
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_keeps_up_to_the_cap_and_says_how_much_was_dropped() {
        let mut c = Capture::default();
        c.push(b"abc");
        assert_eq!(c.into_text(), "abc");

        let mut big = Capture::default();
        big.push(&vec![b'x'; MAX_CAPTURE - 1]);
        big.push(b"yz!");
        let text = big.into_text();
        assert!(text.starts_with(&"x".repeat(MAX_CAPTURE - 1)));
        assert!(text.ends_with("y\n[sybil: 2 more bytes of output were not kept]"));
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        let mut c = Capture::default();
        c.push(b"ok \xff\xfe done \xe2\x9c\x93");
        assert_eq!(c.into_text(), "ok \u{fffd}\u{fffd} done ✓");
    }

    #[test]
    fn signals_map_to_128_plus_number() {
        assert_eq!(signal_exit_status("KILL"), 137);
        assert_eq!(signal_exit_status("SIGTERM"), 143);
        assert_eq!(signal_exit_status("SEGV"), 139);
        assert_eq!(signal_exit_status("WEIRD"), 255);
    }
}
