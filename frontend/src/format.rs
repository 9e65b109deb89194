//! Numbers, sizes, dates and settings as the UI shows them.

use qbound_shared::{Boundary, Metric, SensitivityMode};

/// `1536` -> `1.5 KB`; sizes in powers of 1024 with one decimal above bytes.
pub fn bytes(size: i64) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"];
    let mut value = size.max(0) as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{size} B")
    } else {
        format!("{value:.1} {}", units[unit])
    }
}

/// A number with at most `digits` decimals, trailing zeros dropped (`12.50` -> `12.5`).
pub fn number(value: f64, digits: usize) -> String {
    let text = format!("{value:.digits$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

/// Images per second, always with one decimal (`72.5`, `73.0`) so that figures line up.
pub fn throughput(images_per_second: f64) -> String {
    format!("{images_per_second:.1}")
}

/// An accuracy figure, always with three decimals.
pub fn accuracy(value: f64) -> String {
    format!("{value:.3}")
}

/// What an accuracy of `metric` is, as a column or axis title: `map` is COCO mAP on labels,
/// `agreement` is mAP against the float model's own detections.
pub fn metric_name(metric: Option<Metric>) -> &'static str {
    match metric {
        Some(Metric::Map) => "COCO mAP@0.5:0.95",
        Some(Metric::Agreement) => "agreement with float (mAP vs FP32 detections)",
        Some(Metric::Proxy) | None => "accuracy",
    }
}

/// The same in a word or two, after a number.
pub fn metric_short(metric: Metric) -> &'static str {
    match metric {
        Metric::Map => "mAP",
        Metric::Agreement => "agreement",
        Metric::Proxy => "",
    }
}

/// The sensitivity axis title with its unit, for a `metric` (`map`, `agreement`, `proxy`)
/// measured in `mode` (`one-on`: what quantizing the layer costs; `one-off`: what keeping
/// it float recovers).
pub fn sensitivity_title(metric: Metric, mode: SensitivityMode) -> String {
    let change = match mode {
        SensitivityMode::OneOff => "recovered",
        SensitivityMode::OneOn => "lost",
    };
    match metric {
        Metric::Map => format!("COCO mAP {change}, 0-1 (higher = more sensitive)"),
        Metric::Agreement => format!("agreement {change}, 0-1 (higher = more sensitive)"),
        Metric::Proxy => format!("output fidelity {change}: noise/signal energy"),
    }
}

/// `1 line`, `3 lines`: a count with its noun, plural when not one.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A duration in seconds as `850 ms`, `42 s` or `3 min 05 s`.
pub fn duration(ms: i64) -> String {
    let ms = ms.max(0);
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{} s", ms / 1000)
    } else {
        format!("{} min {:02} s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

/// A run's boundary in words: `all layers INT8`, `sweep: 1, 2, 4 float`, `max drop 2%`.
pub fn boundary(boundary: &Boundary) -> String {
    match boundary {
        Boundary::All => "all layers INT8".into(),
        Boundary::KeepFloat { count: n } => format!("keep {} float", count(*n, "layer")),
        Boundary::MaxDrop { max_drop } => format!("max drop {}%", number(max_drop * 100.0, 2)),
        Boundary::Sweep { keep_float } => {
            let counts: Vec<String> = keep_float.iter().map(usize::to_string).collect();
            format!("sweep: {} float", counts.join(", "))
        }
    }
}

/// A speed-up factor such as `1.35x`.
pub fn speedup(factor: f64) -> String {
    format!("{factor:.2}x")
}

/// Unix milliseconds as `YYYY-MM-DD HH:MM` (UTC).
pub fn date_time(unix_ms: i64) -> String {
    let seconds = unix_ms.div_euclid(1000);
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        of_day / 3600,
        (of_day % 3600) / 60
    )
}

/// Days since 1970-01-01 to a (year, month, day) in the proleptic Gregorian calendar.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_a_file_manager() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KB");
        assert_eq!(bytes(5 * 1024 * 1024), "5.0 MB");
    }

    #[test]
    fn numbers_drop_trailing_zeros() {
        assert_eq!(number(12.5, 2), "12.5");
        assert_eq!(number(3.0, 2), "3");
        assert_eq!(number(0.126, 2), "0.13");
    }

    #[test]
    fn throughputs_keep_their_decimal() {
        assert_eq!(throughput(73.0), "73.0");
        assert_eq!(throughput(72.46), "72.5");
    }

    #[test]
    fn counts_and_durations_read_as_words() {
        assert_eq!(count(1, "line"), "1 line");
        assert_eq!(count(3, "line"), "3 lines");
        assert_eq!(duration(850), "850 ms");
        assert_eq!(duration(42_300), "42 s");
        assert_eq!(duration(185_000), "3 min 05 s");
    }

    #[test]
    fn agreement_is_not_called_map() {
        assert!(metric_name(Some(Metric::Agreement)).starts_with("agreement with float"));
        assert_eq!(metric_name(Some(Metric::Map)), "COCO mAP@0.5:0.95");
    }

    #[test]
    fn boundaries_read_without_rust_syntax() {
        let sweep = Boundary::Sweep {
            keep_float: vec![1, 2, 4, 8],
        };
        assert_eq!(boundary(&sweep), "sweep: 1, 2, 4, 8 float");
        assert_eq!(
            boundary(&Boundary::MaxDrop { max_drop: 0.02 }),
            "max drop 2%"
        );
        assert_eq!(
            boundary(&Boundary::KeepFloat { count: 1 }),
            "keep 1 layer float"
        );
    }

    #[test]
    fn dates_are_utc() {
        assert_eq!(date_time(0), "1970-01-01 00:00");
        assert_eq!(date_time(1_700_000_000_000), "2023-11-14 22:13");
        assert_eq!(date_time(951_782_400_000), "2000-02-29 00:00");
    }
}
