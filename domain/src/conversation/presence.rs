//! Presence from timestamps (§4.9): a status set by heartbeats that decays
//! with time — `online` to `away` after the away time, `online` or `away`
//! to `offline` after the offline time, both counted from the last sighting.

use std::fmt;

use crate::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PresenceStatus {
    Online,
    Away,
    Offline,
}

impl PresenceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PresenceStatus::Online => "online",
            PresenceStatus::Away => "away",
            PresenceStatus::Offline => "offline",
        }
    }

    pub fn parse(text: &str) -> Option<PresenceStatus> {
        [
            PresenceStatus::Online,
            PresenceStatus::Away,
            PresenceStatus::Offline,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

impl fmt::Display for PresenceStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `PRESENCE_AWAY_SECONDS` and `PRESENCE_OFFLINE_SECONDS`, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PresenceTimes {
    pub away_ms: i64,
    pub offline_ms: i64,
}

impl PresenceTimes {
    /// The status a user shows at `now`, given the status last set and when
    /// the user was last seen (`None`: never, which is offline).
    pub fn status(
        &self,
        set: PresenceStatus,
        last_seen: Option<Timestamp>,
        now: Timestamp,
    ) -> PresenceStatus {
        let Some(seen) = last_seen else {
            return PresenceStatus::Offline;
        };
        let silent = now.0 - seen.0;
        match set {
            PresenceStatus::Offline => PresenceStatus::Offline,
            _ if silent >= self.offline_ms => PresenceStatus::Offline,
            PresenceStatus::Online if silent >= self.away_ms => PresenceStatus::Away,
            other => other,
        }
    }

    /// When the shown status next changes by time alone, if it will.
    pub fn next_change(
        &self,
        set: PresenceStatus,
        last_seen: Option<Timestamp>,
        now: Timestamp,
    ) -> Option<Timestamp> {
        let seen = last_seen?;
        let away = Timestamp(seen.0 + self.away_ms);
        let offline = Timestamp(seen.0 + self.offline_ms);
        match self.status(set, last_seen, now) {
            PresenceStatus::Online => Some(away),
            PresenceStatus::Away => Some(offline),
            PresenceStatus::Offline => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PresenceStatus::*;

    const T: PresenceTimes = PresenceTimes {
        away_ms: 45_000,
        offline_ms: 300_000,
    };

    #[test]
    fn online_decays_to_away_then_offline() {
        let seen = Some(Timestamp(0));
        assert_eq!(T.status(Online, seen, Timestamp(44_999)), Online);
        assert_eq!(T.status(Online, seen, Timestamp(45_000)), Away);
        assert_eq!(T.status(Online, seen, Timestamp(299_999)), Away);
        assert_eq!(T.status(Online, seen, Timestamp(300_000)), Offline);
    }

    #[test]
    fn away_stays_away_until_offline() {
        let seen = Some(Timestamp(0));
        assert_eq!(T.status(Away, seen, Timestamp(1)), Away);
        assert_eq!(T.status(Away, seen, Timestamp(300_000)), Offline);
    }

    #[test]
    fn offline_and_never_seen_are_offline() {
        assert_eq!(T.status(Offline, Some(Timestamp(0)), Timestamp(1)), Offline);
        assert_eq!(T.status(Online, None, Timestamp(1)), Offline);
    }

    #[test]
    fn the_next_change_is_the_next_threshold() {
        let seen = Some(Timestamp(1_000));
        assert_eq!(
            T.next_change(Online, seen, Timestamp(2_000)),
            Some(Timestamp(46_000))
        );
        assert_eq!(
            T.next_change(Online, seen, Timestamp(50_000)),
            Some(Timestamp(301_000))
        );
        assert_eq!(
            T.next_change(Away, seen, Timestamp(2_000)),
            Some(Timestamp(301_000))
        );
        assert_eq!(T.next_change(Online, seen, Timestamp(301_000)), None);
        assert_eq!(T.next_change(Online, None, Timestamp(0)), None);
    }

    #[test]
    fn names_round_trip() {
        for s in [Online, Away, Offline] {
            assert_eq!(PresenceStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(PresenceStatus::parse("busy"), None);
    }
}
