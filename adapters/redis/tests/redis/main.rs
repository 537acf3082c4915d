//! `RedisBuckets` against real Redis servers: the shared instance for the
//! algorithm, `redis-server` children for outages.

mod buckets;
mod outage;
mod redis_url;
mod support;
