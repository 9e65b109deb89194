//! The y range of an SQNR chart: a tensor without any error reads 120 dB, which would squeeze
//! every real figure into the bottom of the chart, so such values are drawn at a cap.

/// SQNR above this (dB) is drawn at the top of the chart; its tooltip says the real figure.
pub const TOP_DB: f64 = 80.0;

/// `db` as drawn: at most [`TOP_DB`].
pub fn plotted_db(db: f64) -> f64 {
    db.min(TOP_DB)
}

/// The lowest and highest drawn value of `values` (0 to 1 when there are none).
pub fn sqnr_range(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .into_iter()
        .filter(|v| v.is_finite())
        .map(plotted_db)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo > hi { (0.0, 1.0) } else { (lo, hi) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_errorless_tensor_does_not_stretch_the_axis() {
        assert_eq!(sqnr_range([120.0, 24.5, 6.2, f64::NAN]), (6.2, TOP_DB));
        assert_eq!(sqnr_range([30.0, -2.0]), (-2.0, 30.0));
        assert_eq!(sqnr_range([]), (0.0, 1.0));
    }
}
