//! A run's trade-off points as CSV, one row per point, for spreadsheets.

use qbound_shared::TradeoffPoint;

fn cell(value: Option<f64>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// Quotes a text cell when it holds a separator, a quote or a line break.
fn text(value: &str) -> String {
    if value.contains([',', '"', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

/// The points with their accuracy and, per batch size of `batch_sizes`, the median, slowest
/// and fastest images per second.
pub fn points_csv(points: &[TradeoffPoint], batch_sizes: &[i64]) -> String {
    let mut header = vec![
        "label".to_owned(),
        "float_layers".into(),
        "quantized_layers".into(),
        "metric".into(),
        "accuracy".into(),
        "accuracy50".into(),
    ];
    for b in batch_sizes {
        header.extend([
            format!("images_per_second_bs{b}"),
            format!("min_images_per_second_bs{b}"),
            format!("max_images_per_second_bs{b}"),
        ]);
    }
    let mut lines = vec![header.join(",")];
    for p in points {
        let mut row = vec![
            text(&p.label),
            cell(p.float_layer_count.map(|n| n as f64)),
            cell(p.quantized_layer_count.map(|n| n as f64)),
            text(p.metric.map(|m| m.as_str()).unwrap_or_default()),
            cell(p.accuracy),
            cell(p.accuracy50),
        ];
        for &b in batch_sizes {
            let spread = p.spread(b);
            row.extend([
                cell(p.images_per_second(b)),
                cell(spread.map(|s| s.min)),
                cell(spread.map(|s| s.max)),
            ]);
        }
        lines.push(row.join(","));
    }
    lines.join("\n") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use qbound_shared::{Metric, ThroughputSpread};

    #[test]
    fn one_row_per_point_with_its_spread() {
        let point = TradeoffPoint {
            label: "int8-keep2".into(),
            float_layer_count: Some(2),
            quantized_layer_count: Some(32),
            accuracy: Some(0.9),
            metric: Some(Metric::Agreement),
            throughput: [("32".to_owned(), 200.0)].into(),
            throughput_spread: [(
                "32".to_owned(),
                ThroughputSpread {
                    min: 190.0,
                    max: 210.0,
                },
            )]
            .into(),
            ..TradeoffPoint::default()
        };
        let csv = points_csv(&[point], &[32]);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(
            lines[0],
            "label,float_layers,quantized_layers,metric,accuracy,accuracy50,images_per_second_bs32,min_images_per_second_bs32,max_images_per_second_bs32"
        );
        assert_eq!(lines[1], "int8-keep2,2,32,agreement,0.9,,200,190,210");
    }
}
