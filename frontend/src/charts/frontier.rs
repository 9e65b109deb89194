//! The Pareto frontier of the accuracy-throughput trade-off: the points no other point
//! beats on both speed and accuracy.

/// Indices of the points on the frontier of `(throughput, accuracy)` pairs (both higher is
/// better), sorted by throughput. A point is dropped when another is at least as fast and
/// at least as accurate, and strictly better in one.
pub fn pareto_frontier(points: &[(f64, f64)]) -> Vec<usize> {
    let dominated = |i: usize| {
        let (x, y) = points[i];
        points
            .iter()
            .any(|&(ox, oy)| ox >= x && oy >= y && (ox > x || oy > y))
    };
    let mut front: Vec<usize> = (0..points.len())
        .filter(|&i| points[i].0.is_finite() && points[i].1.is_finite() && !dominated(i))
        .collect();
    front.sort_by(|&a, &b| points[a].0.total_cmp(&points[b].0));
    front
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dominated_points_leave_the_frontier() {
        let points = [(100.0, 42.4), (150.0, 42.1), (140.0, 41.0), (200.0, 35.6)];
        assert_eq!(pareto_frontier(&points), vec![0, 1, 3]);
    }

    #[test]
    fn equal_points_both_stay() {
        let points = [(1.0, 1.0), (1.0, 1.0)];
        assert_eq!(pareto_frontier(&points), vec![0, 1]);
    }
}
