//! The cap on new streams per client address over time (cargo feature `rate-limit`):
//! governor's keyed GCRA limiter, one cell per address (an IPv6 address by its /64, which one
//! client holds), and a bound on how many addresses it tracks.

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use http::HeaderValue;
use http::header::RETRY_AFTER;

use crate::{HttpError, StreamRate};

/// Most addresses tracked at once. An address is tracked while it has opened a stream within
/// the rate's period; the limiter drops the others when this many are reached.
pub(crate) const MAX_TRACKED_ADDRESSES: usize = 100_000;

/// The new streams of each address, against one rate.
pub(crate) struct NewStreams {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    rate: StreamRate,
}

impl std::fmt::Debug for NewStreams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewStreams")
            .field("rate", &self.rate)
            .field("tracked", &self.limiter.len())
            .finish()
    }
}

impl NewStreams {
    /// A limiter of `rate`, which start-up checked (a count and a period above zero).
    pub(crate) fn new(rate: StreamRate) -> Self {
        let count = NonZeroU32::new(rate.count).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(rate.per / count.get())
            .unwrap_or_else(|| Quota::per_second(count))
            .allow_burst(count);
        Self {
            limiter: RateLimiter::keyed(quota),
            rate,
        }
    }

    /// Counts a new stream of `address`: nothing, or the answer to give instead.
    pub(crate) fn admit(&self, address: IpAddr) -> Result<(), HttpError> {
        let key = client(address);
        if self.limiter.len() >= MAX_TRACKED_ADDRESSES {
            // Forget the addresses whose count is back to a fresh one's.
            self.limiter.retain_recent();
            if self.limiter.len() >= MAX_TRACKED_ADDRESSES {
                return Err(HttpError::service_unavailable(
                    "too many clients opening streams; try again",
                )
                .with_header(RETRY_AFTER, HeaderValue::from(1_u64)));
            }
        }
        self.limiter.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            // Whole seconds, rounded up: a client that waits that long gets in.
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            let StreamRate { count, per } = self.rate;
            HttpError::too_many_requests(format!(
                "too many new streams: at most {count} in {per:?} per client address"
            ))
            .with_header(RETRY_AFTER, HeaderValue::from(seconds.max(1)))
        })
    }
}

/// The client an address stands for: an IPv6 address by its /64 (one client's whole prefix),
/// an IPv4 address by itself.
fn client(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1_u128 << 64) - 1);
            IpAddr::V6(bits.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_client_counts_by_its_64_and_ipv4_by_its_address() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client(a), client(b));
        assert_ne!(client(a), client(other));
        let v4: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(client(v4), v4);
    }

    #[test]
    fn past_the_burst_a_client_is_told_how_long_to_wait() {
        let streams = NewStreams::new(StreamRate::new(2, std::time::Duration::from_secs(60)));
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        assert!(streams.admit(a).is_ok());
        assert!(streams.admit(a).is_ok());
        let refused = streams.admit(a).unwrap_err();
        assert_eq!(refused.status(), http::StatusCode::TOO_MANY_REQUESTS);
        let retry: u64 = refused.headers()[RETRY_AFTER]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=30).contains(&retry), "{retry}");
        // Another address is counted apart.
        assert!(streams.admit("192.0.2.2".parse().unwrap()).is_ok());
    }
}
