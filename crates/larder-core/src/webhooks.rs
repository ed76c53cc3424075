//! Webhook rules (ADR 027): which addresses a delivery may reach, when a failed delivery is
//! tried again, and when a subscription that keeps failing is switched off.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use chrono::Duration;

/// The waits after each failed attempt: 5 s, 1 min, 5 min, 30 min, 1 h, 2 h, 4 h, then 8 h
/// three times; eleven attempts over 31 h 36 min 5 s, then the delivery gives up. A target down
/// for a day still gets every event (the Standard Webhooks specification recommends retrying
/// with exponential backoff for at least a day).
pub const RETRY_WAITS_SECS: [i64; 10] = [
    5, 60, 300, 1_800, 3_600, 7_200, 14_400, 28_800, 28_800, 28_800,
];

/// How long after attempt `attempt` (1 = the first delivery) failed the next one is due, or
/// `None` when it was the last.
#[must_use]
pub fn retry_after(attempt: u32) -> Option<Duration> {
    let i = usize::try_from(attempt).ok()?.checked_sub(1)?;
    RETRY_WAITS_SECS.get(i).map(|s| Duration::seconds(*s))
}

/// Attempts a delivery gets in all (the first and every retry).
#[must_use]
pub fn max_attempts() -> u32 {
    u32::try_from(RETRY_WAITS_SECS.len()).unwrap_or(u32::MAX) + 1
}

/// A subscription is switched off when its deliveries have failed without one success for this
/// long (and at least [`DISABLE_AFTER_FAILURES`] attempts failed): 5 days.
pub const DISABLE_AFTER: Duration = Duration::days(5);
/// See [`DISABLE_AFTER`].
pub const DISABLE_AFTER_FAILURES: u32 = 20;

/// Whether a subscription failing since `failing_for` with `failures` failed attempts in a row
/// is to be switched off.
#[must_use]
pub fn should_disable(failing_for: Duration, failures: u32) -> bool {
    failing_for >= DISABLE_AFTER && failures >= DISABLE_AFTER_FAILURES
}

/// Whether a delivery may connect to `ip`: not loopback, private (RFC 1918, IPv6 unique
/// local), link-local (cloud metadata at 169.254.169.254 among them), shared (RFC 6598),
/// unspecified, broadcast, multicast, documentation or reserved, nor an IPv4-mapped IPv6
/// address of any of those. Guards against server-side request forgery (OWASP SSRF
/// Prevention Cheat Sheet).
#[must_use]
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || o[0] == 0
        || (o[0] == 100 && (64..128).contains(&o[1]))
        || (o[0] == 192 && o[1] == 0 && o[2] == 0)
        || (o[0] == 198 && (o[1] == 18 || o[1] == 19))
        || o[0] >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00
        || (s[0] & 0xffc0) == 0xfe80
        || (s[0] == 0x2001 && s[1] == 0x0db8)
        || (s[0] == 0x0064 && s[1] == 0xff9b)
        // 6to4 and IPv4-compatible addresses embed an IPv4 address that may be private.
        || s[0] == 0x2002
        || s[..6].iter().all(|x| *x == 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn private_and_special_addresses_are_refused() {
        for s in [
            "127.0.0.1",
            "127.1.2.3",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
            "64:ff9b:1::a00:1",
            "2002:a00:1::1",
            "::10.0.0.1",
        ] {
            assert!(!is_public(ip(s)), "{s} must be refused");
        }
    }

    #[test]
    fn public_addresses_are_allowed() {
        for s in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "203.0.114.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(ip(s)), "{s} must be allowed");
        }
    }

    #[test]
    fn retries_last_more_than_a_day_then_stop() {
        let total: i64 = RETRY_WAITS_SECS.iter().sum();
        assert!(total >= 86_400, "{total} s");
        assert_eq!(retry_after(1), Some(Duration::seconds(5)));
        assert_eq!(retry_after(2), Some(Duration::seconds(60)));
        assert_eq!(retry_after(10), Some(Duration::seconds(28_800)));
        assert_eq!(retry_after(11), None);
        assert_eq!(retry_after(0), None);
        assert_eq!(max_attempts(), 11);
        assert!(RETRY_WAITS_SECS.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn a_subscription_is_disabled_only_after_sustained_failure() {
        assert!(!should_disable(Duration::days(6), 3));
        assert!(!should_disable(Duration::days(1), 50));
        assert!(should_disable(Duration::days(5), 20));
    }
}
