//! What the rounds measured, summed up: medians, ranges, percentiles, ratios, and the targets.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::{fmt_size, Mode, Op};

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// One batch of one round: `ops` requests of one size, mode and operation against one server.
#[derive(Clone, Debug)]
pub struct Batch {
    pub round: usize,
    pub bytes: u64,
    pub ops: u64,
    pub secs: f64,
    /// The server's CPU seconds during the batch, when known.
    pub cpu_secs: Option<f64>,
}

impl Batch {
    pub fn mb_per_s(&self) -> f64 {
        self.bytes as f64 / self.secs.max(1e-9) / 1e6
    }

    pub fn ops_per_s(&self) -> f64 {
        self.ops as f64 / self.secs.max(1e-9)
    }
}

/// Every measured batch of one (server, size, op, mode), and every request's latency.
#[derive(Clone, Debug, Default)]
pub struct Series {
    pub batches: Vec<Batch>,
    pub latencies: Vec<f64>,
}

/// Keys results by (server index, size, op, mode).
pub type Key = (usize, u64, Op, Mode);

/// The median of `v` (the mean of the two middle values for an even count); `None` when empty.
pub fn median(v: &[f64]) -> Option<f64> {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if s.is_empty() {
        return None;
    }
    s.sort_by(f64::total_cmp);
    let n = s.len();
    Some(if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    })
}

/// The `p`-th percentile (nearest rank): the smallest value with at least p% of values at or
/// below it.
pub fn percentile(v: &[f64], p: f64) -> Option<f64> {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if s.is_empty() {
        return None;
    }
    s.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * s.len() as f64).ceil() as usize;
    Some(s[rank.clamp(1, s.len()) - 1])
}

fn min_max(v: &[f64]) -> Option<(f64, f64)> {
    let mut it = v.iter().copied().filter(|x| x.is_finite());
    let first = it.next()?;
    Some(it.fold((first, first), |(lo, hi), x| (lo.min(x), hi.max(x))))
}

/// All results of a run.
pub struct Results {
    pub servers: Vec<String>,
    pub sizes: Vec<u64>,
    pub modes: Vec<Mode>,
    pub series: BTreeMap<Key, Series>,
    pub transport: String,
}

/// A target of issue #10, checked on one run.
pub struct TargetCheck {
    pub what: String,
    pub ratio: f64,
    pub threshold: f64,
}

impl TargetCheck {
    pub fn met(&self) -> bool {
        self.ratio >= self.threshold
    }
}

impl Results {
    fn series(&self, key: Key) -> Option<&Series> {
        self.series.get(&key).filter(|s| !s.batches.is_empty())
    }

    /// Per round, `num`'s throughput over `den`'s; their median, min and max.
    pub fn round_ratios(&self, num: Key, den: Key) -> Option<(f64, f64, f64)> {
        let (a, b) = (self.series(num)?, self.series(den)?);
        let ratios: Vec<f64> = a
            .batches
            .iter()
            .filter_map(|x| {
                let y = b.batches.iter().find(|y| y.round == x.round)?;
                Some(x.ops_per_s() / y.ops_per_s())
            })
            .collect();
        let (lo, hi) = min_max(&ratios)?;
        Some((median(&ratios)?, lo, hi))
    }

    /// The table, in Markdown.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "| size | op | server | mode | MB/s median | MB/s min–max | ops/s | p50 ms | p99 ms | server CPU s/GiB | × none (min–max) |"
        );
        let _ = writeln!(out, "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|");
        for &size in &self.sizes {
            for op in [Op::Put, Op::Get] {
                for (si, server) in self.servers.iter().enumerate() {
                    for &mode in &self.modes {
                        let Some(s) = self.series((si, size, op, mode)) else {
                            continue;
                        };
                        let mbs: Vec<f64> = s.batches.iter().map(Batch::mb_per_s).collect();
                        let opss: Vec<f64> = s.batches.iter().map(Batch::ops_per_s).collect();
                        let (lo, hi) = min_max(&mbs).unwrap_or((f64::NAN, f64::NAN));
                        let ms = |p| percentile(&s.latencies, p).map_or(f64::NAN, |x| x * 1e3);
                        let cpu = {
                            let known: Vec<&Batch> =
                                s.batches.iter().filter(|b| b.cpu_secs.is_some()).collect();
                            let secs: f64 = known.iter().filter_map(|b| b.cpu_secs).sum();
                            let bytes: u64 = known.iter().map(|b| b.bytes).sum();
                            if known.is_empty() || bytes == 0 {
                                "–".to_owned()
                            } else {
                                format_sig(secs / (bytes as f64 / GIB))
                            }
                        };
                        let ratio = if mode == Mode::None {
                            "1".to_owned()
                        } else {
                            match self
                                .round_ratios((si, size, op, mode), (si, size, op, Mode::None))
                            {
                                Some((m, lo, hi)) => format!("{m:.2} ({lo:.2}–{hi:.2})"),
                                None => "–".to_owned(),
                            }
                        };
                        let _ = writeln!(
                            out,
                            "| {} | {} | {} | {} | {} | {}–{} | {} | {} | {} | {} | {} |",
                            fmt_size(size),
                            op.name(),
                            server,
                            mode.name(),
                            format_sig(median(&mbs).unwrap_or(f64::NAN)),
                            format_sig(lo),
                            format_sig(hi),
                            format_sig(median(&opss).unwrap_or(f64::NAN)),
                            format_sig(ms(50.0)),
                            format_sig(ms(99.0)),
                            cpu,
                            ratio,
                        );
                    }
                }
            }
        }
        out
    }

    /// s3lab against each other server, per size, op and mode (median of the per-round ratios).
    pub fn comparison(&self) -> String {
        let mut out = String::new();
        for (si, server) in self.servers.iter().enumerate().skip(1) {
            let _ = writeln!(
                out,
                "| size | op | mode | s3lab ops/s | {server} ops/s | s3lab ÷ {server} (min–max) |"
            );
            let _ = writeln!(out, "|---|---|---|---:|---:|---:|");
            for &size in &self.sizes {
                for op in [Op::Put, Op::Get] {
                    for &mode in &self.modes {
                        let (Some(a), Some(b)) = (
                            self.series((0, size, op, mode)),
                            self.series((si, size, op, mode)),
                        ) else {
                            continue;
                        };
                        let med = |s: &Series| {
                            let v: Vec<f64> = s.batches.iter().map(Batch::ops_per_s).collect();
                            median(&v).unwrap_or(f64::NAN)
                        };
                        let ratio = self
                            .round_ratios((0, size, op, mode), (si, size, op, mode))
                            .map_or("–".to_owned(), |(m, lo, hi)| {
                                format!("{m:.1} ({lo:.1}–{hi:.1})")
                            });
                        let _ = writeln!(
                            out,
                            "| {} | {} | {} | {} | {} | {} |",
                            fmt_size(size),
                            op.name(),
                            mode.name(),
                            format_sig(med(a)),
                            format_sig(med(b)),
                            ratio
                        );
                    }
                }
            }
        }
        out
    }

    /// The performance targets of issue #10 that this run has the data for.
    pub fn targets(&self) -> Vec<TargetCheck> {
        const MIB256: u64 = 256 * 1024 * 1024;
        const KIB4: u64 = 4 * 1024;
        let mut checks = Vec::new();
        let mut vs_none = |size: u64, op: Op, mode: Mode, threshold: f64| {
            if let Some((m, _, _)) =
                self.round_ratios((0, size, op, mode), (0, size, op, Mode::None))
            {
                checks.push(TargetCheck {
                    what: format!(
                        "{} {} {} ≥ {threshold}× none",
                        op.name(),
                        fmt_size(size),
                        mode.name()
                    ),
                    ratio: m,
                    threshold,
                });
            }
        };
        vs_none(MIB256, Op::Put, Mode::SseS3, 0.8);
        for mode in [Mode::SseKms, Mode::SseKmsBucketKey, Mode::SseC] {
            vs_none(MIB256, Op::Put, mode, 0.6);
        }
        for mode in [Mode::SseS3, Mode::SseKms, Mode::SseKmsBucketKey, Mode::SseC] {
            vs_none(MIB256, Op::Get, mode, 0.6);
        }
        for op in [Op::Put, Op::Get] {
            vs_none(KIB4, op, Mode::SseKms, 0.7);
        }
        for (si, server) in self.servers.iter().enumerate().skip(1) {
            for op in [Op::Put, Op::Get] {
                if let Some((m, _, _)) =
                    self.round_ratios((0, KIB4, op, Mode::SseKms), (si, KIB4, op, Mode::SseKms))
                {
                    checks.push(TargetCheck {
                        what: format!("{} 4 KiB SSE-KMS rate ≥ 20× {server}'s", op.name()),
                        ratio: m,
                        threshold: 20.0,
                    });
                }
            }
        }
        checks
    }

    /// Everything: the table, the comparison, the targets.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{}\n", self.transport);
        out.push_str(&self.table());
        if self.servers.len() > 1 {
            out.push('\n');
            out.push_str(&self.comparison());
        }
        let checks = self.targets();
        if !checks.is_empty() {
            let _ = writeln!(out, "\nTargets (median of the per-round ratios):\n");
            for c in &checks {
                let _ = writeln!(
                    out,
                    "- {}: {:.2} — {}",
                    c.what,
                    c.ratio,
                    if c.met() { "met" } else { "MISSED" }
                );
            }
        }
        out
    }
}

/// Three significant digits, without going to exponents: 0.0123, 1.23, 123, 12300.
pub fn format_sig(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let a = x.abs();
    if a >= 100.0 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else if a >= 1.0 {
        format!("{x:.2}")
    } else if a >= 0.1 {
        format!("{x:.3}")
    } else {
        format!("{x:.4}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_percentiles() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), Some(50.0));
        assert_eq!(percentile(&v, 99.0), Some(99.0));
        assert_eq!(percentile(&[7.0], 99.0), Some(7.0));
        assert_eq!(percentile(&[1.0, 2.0, 3.0], 99.0), Some(3.0));
        assert_eq!(format_sig(1234.5), "1234");
        assert_eq!(format_sig(0.01234), "0.0123");
    }

    fn batch(round: usize, secs: f64) -> Batch {
        Batch {
            round,
            bytes: 1_000_000,
            ops: 10,
            secs,
            cpu_secs: Some(secs / 2.0),
        }
    }

    #[test]
    fn ratios_pair_batches_of_the_same_round() {
        let mut series = BTreeMap::new();
        let size = 256 * 1024 * 1024;
        series.insert(
            (0, size, Op::Put, Mode::None),
            Series {
                batches: vec![batch(1, 1.0), batch(2, 2.0), batch(3, 1.0)],
                latencies: vec![1.0, 2.0, 1.0],
            },
        );
        series.insert(
            (0, size, Op::Put, Mode::SseS3),
            Series {
                // Half the speed in round 1, the same in round 2, a quarter in round 3.
                batches: vec![batch(1, 2.0), batch(2, 2.0), batch(3, 4.0)],
                latencies: vec![2.0, 2.0, 4.0],
            },
        );
        let r = Results {
            servers: vec!["s3lab".into()],
            sizes: vec![size],
            modes: vec![Mode::None, Mode::SseS3],
            series,
            transport: String::new(),
        };
        let (m, lo, hi) = r
            .round_ratios(
                (0, size, Op::Put, Mode::SseS3),
                (0, size, Op::Put, Mode::None),
            )
            .unwrap();
        assert_eq!((m, lo, hi), (0.5, 0.25, 1.0));
        let checks = r.targets();
        assert_eq!(checks.len(), 1);
        assert!(!checks[0].met());
        let text = r.render();
        assert!(
            text.contains("| 256 MiB | PUT | s3lab | SSE-S3 |"),
            "{text}"
        );
        assert!(text.contains("0.50 (0.25–1.00)"), "{text}");
        assert!(text.contains("MISSED"), "{text}");
    }
}
