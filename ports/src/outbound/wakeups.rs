//! Wake-ups: a committed change wakes whoever follows it, in every process
//! that shares the database. The tables stay the source of truth: a
//! wake-up only says "read again from your last id", so one that is lost
//! or comes twice does no harm.

use async_trait::async_trait;
use uuid::Uuid;

/// What a follower waits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    /// A conversation's stream events.
    Conversation(Uuid),
    /// A resumable job's events and end.
    Job(Uuid),
    /// A stop asked of a resumable job.
    JobStop(Uuid),
    /// An assistant reply ended (by a cancel on any process, say).
    ReplyEnd(Uuid),
    /// The rate-limit profiles or assignments changed.
    RateLimits,
}

/// One follower's subscription; it sees every wake-up sent after it was made.
#[async_trait]
pub trait Wakeup: Send {
    /// Resolves at the next wake-up of its topic (at once if one came
    /// since the last call).
    async fn woken(&mut self);
}

#[cfg_attr(feature = "mock", mockall::automock)]
pub trait Wakeups: Send + Sync {
    fn subscribe(&self, topic: Topic) -> Box<dyn Wakeup>;
}
