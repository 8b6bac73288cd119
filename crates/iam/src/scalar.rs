//! Reading the typed condition values: numbers, dates, booleans and IP ranges.

use std::net::IpAddr;

pub(crate) fn number(text: &str) -> Option<f64> {
    let n: f64 = text.trim().parse().ok()?;
    n.is_finite().then_some(n)
}

pub(crate) fn boolean(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (Howard Hinnant's algorithm).
/// In `i128`: a year may have as many digits as an `i64` holds, and nothing here overflows.
fn days_from_civil(y: i128, m: i128, d: i128) -> i128 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn digits(text: &str) -> Option<i64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// A date as IAM's `Date...` operators take it, as seconds since the Unix epoch (fractions kept):
/// epoch seconds (`1700000000`), a date (`2026-01-01`), or an ISO 8601 date-time in UTC or with an
/// offset (`2026-01-01T12:00:00Z`, `2026-01-01T12:00:00.5+02:00`).
pub(crate) fn date(text: &str) -> Option<f64> {
    let text = text.trim();
    if let Some(epoch) = digits(text) {
        return Some(epoch as f64);
    }
    let (date_part, time_part) = match text.split_once(['T', 't']) {
        Some((d, t)) => (d, Some(t)),
        None => (text, None),
    };
    // Wide integers: a part may have as many digits as an `i64` holds, and then the seconds do
    // not fit in one.
    let wide = |text: &str| digits(text).map(i128::from);
    let mut ymd = date_part.splitn(3, '-');
    let y = wide(ymd.next()?)?;
    let m = wide(ymd.next()?)?;
    let d = wide(ymd.next()?)?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let mut seconds = (days_from_civil(y, m, d) * 86_400) as f64;
    if let Some(time) = time_part {
        let (clock, offset) = if let Some(clock) = time.strip_suffix(['Z', 'z']) {
            (clock, 0i128)
        } else if let Some(pos) = time.rfind(['+', '-']) {
            let (clock, off) = time.split_at(pos);
            let sign = if off.starts_with('-') { -1 } else { 1 };
            let (oh, om) = off[1..].split_once(':').unwrap_or((&off[1..], "0"));
            (clock, sign * (wide(oh)? * 3600 + wide(om)? * 60))
        } else {
            (time, 0)
        };
        let mut hms = clock.splitn(3, ':');
        let h = wide(hms.next()?)?;
        let min = wide(hms.next().unwrap_or("0"))?;
        let sec: f64 = match hms.next() {
            Some(s) => number(s)?,
            None => 0.0,
        };
        if h > 24 || min > 59 || !(0.0..61.0).contains(&sec) {
            return None;
        }
        seconds += (h * 3600 + min * 60 - offset) as f64 + sec;
    }
    Some(seconds)
}

/// An address or CIDR range: the network as a 128-bit number, its prefix length, and whether v4.
fn range(text: &str) -> Option<(u128, u32, bool)> {
    let (addr, prefix) = match text.trim().split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (text.trim(), None),
    };
    let ip: IpAddr = addr.parse().ok()?;
    let (bits, v4, max) = match ip {
        IpAddr::V4(v4) => (u128::from(u32::from(v4)), true, 32),
        IpAddr::V6(v6) => (u128::from(v6), false, 128),
    };
    let prefix = match prefix {
        Some(p) => u32::try_from(digits(p)?).ok()?,
        None => max,
    };
    (prefix <= max).then_some((bits, prefix, v4))
}

pub(crate) fn valid_cidr(text: &str) -> bool {
    range(text).is_some()
}

/// Whether the address `ip` lies in the range `cidr`.
pub(crate) fn ip_in(ip: &str, cidr: &str) -> bool {
    let (Some((addr, _, addr_v4)), Some((net, prefix, net_v4))) = (range(ip), range(cidr)) else {
        return false;
    };
    if addr_v4 != net_v4 {
        return false;
    }
    let width = if net_v4 { 32 } else { 128 };
    let shift = width - prefix;
    if shift >= 128 {
        return true;
    }
    (addr >> shift) == (net >> shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(date("0"), Some(0.0));
        assert_eq!(date("1970-01-02"), Some(86_400.0));
        assert_eq!(date("2026-01-01T00:00:00Z"), Some(1_767_225_600.0));
        assert_eq!(date("2026-01-01T02:00:00+02:00"), Some(1_767_225_600.0));
        assert_eq!(date("2026-01-01T00:00:00.5Z"), Some(1_767_225_600.5));
        assert_eq!(date("2026-13-01"), None);
        assert_eq!(date("yesterday"), None);
    }

    /// A year or an offset with more digits than the seconds fit in an `i64` overflowed (a panic
    /// in debug builds, a wrong date in release ones). Found by review while writing the
    /// `iam_policy` fuzz target.
    #[test]
    fn dates_with_huge_parts_do_not_overflow() {
        let far = date("99999999999999-01-01").expect("a date, however far");
        assert!(far > 3.0e21, "{far}");
        let year = date("9223372036854775807-12-31T23:59:59Z").expect("the largest year");
        assert!(year > 2.0e26, "{year}");
        assert!(date("2026-01-01T00:00:00+9223372036854775807:59").is_some());
        assert!(date("2026-01-01T00:00:00-9999999999999999:00").is_some());
    }

    #[test]
    fn ips() {
        assert!(ip_in("192.0.2.7", "192.0.2.0/24"));
        assert!(!ip_in("192.0.3.7", "192.0.2.0/24"));
        assert!(ip_in("10.1.2.3", "0.0.0.0/0"));
        assert!(ip_in("10.1.2.3", "10.1.2.3"));
        assert!(ip_in("2001:db8::1", "2001:db8::/32"));
        assert!(!ip_in("2001:db8::1", "10.0.0.0/8"));
        assert!(!valid_cidr("10.0.0.0/33"));
        assert!(!valid_cidr("ten"));
    }

    #[test]
    fn booleans_and_numbers() {
        assert_eq!(boolean("TRUE"), Some(true));
        assert_eq!(boolean("no"), None);
        assert_eq!(number("1.5"), Some(1.5));
        assert_eq!(number("NaN"), None);
    }
}
