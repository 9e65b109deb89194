//! Where the text labels of scatter markers go so that none overlaps another label or a
//! marker: each label tries spots around its marker, nearest first.

/// A placed label: the text's anchor point (baseline) and its side of the marker.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LabelSpot {
    /// Anchor x.
    pub x: f64,
    /// Baseline y.
    pub y: f64,
    /// Whether the text ends at `x` (placed left of the marker) rather than starting there.
    pub end: bool,
}

/// Rough text metrics of the charts' 11 px labels.
const CHAR_WIDTH: f64 = 6.4;
const TEXT_HEIGHT: f64 = 11.0;
/// Markers are at most this far from their centre.
const MARKER_RADIUS: f64 = 7.0;

/// Spots tried around a marker, as (dx, dy, end), nearest first.
const CANDIDATES: [(f64, f64, bool); 12] = [
    (9.0, -8.0, false),
    (9.0, 16.0, false),
    (-9.0, -8.0, true),
    (-9.0, 16.0, true),
    (9.0, -22.0, false),
    (9.0, 30.0, false),
    (-9.0, -22.0, true),
    (-9.0, 30.0, true),
    (9.0, -36.0, false),
    (9.0, 44.0, false),
    (-9.0, -36.0, true),
    (-9.0, 44.0, true),
];

#[derive(Debug, Clone, Copy)]
struct Rect {
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
}

impl Rect {
    fn overlap(&self, other: &Rect) -> f64 {
        let w = self.right.min(other.right) - self.left.max(other.left);
        let h = self.bottom.min(other.bottom) - self.top.max(other.top);
        if w > 0.0 && h > 0.0 { w * h } else { 0.0 }
    }

    fn outside(&self, bounds: &Rect) -> f64 {
        let area = (self.right - self.left) * (self.bottom - self.top);
        area - self.overlap(bounds)
    }
}

fn text_rect(x: f64, y: f64, end: bool, chars: usize) -> Rect {
    let width = chars as f64 * CHAR_WIDTH;
    let left = if end { x - width } else { x };
    Rect {
        left,
        right: left + width,
        top: y - TEXT_HEIGHT + 2.0,
        bottom: y + 3.0,
    }
}

/// Spots for labels of `chars` characters at markers `(x, y)`, inside `bounds` (left, top,
/// right, bottom) where possible. Earlier markers choose first; a label that fits nowhere
/// takes the spot it overlaps least.
pub fn place_labels(
    markers: &[(f64, f64)],
    chars: &[usize],
    bounds: (f64, f64, f64, f64),
) -> Vec<LabelSpot> {
    let bounds = Rect {
        left: bounds.0,
        top: bounds.1,
        right: bounds.2,
        bottom: bounds.3,
    };
    let dots: Vec<Rect> = markers
        .iter()
        .map(|&(x, y)| Rect {
            left: x - MARKER_RADIUS,
            right: x + MARKER_RADIUS,
            top: y - MARKER_RADIUS,
            bottom: y + MARKER_RADIUS,
        })
        .collect();
    let mut placed: Vec<Rect> = Vec::with_capacity(markers.len());
    let mut spots = Vec::with_capacity(markers.len());
    for (&(x, y), &n) in markers.iter().zip(chars) {
        let cost = |&(dx, dy, end): &(f64, f64, bool)| {
            let rect = text_rect(x + dx, y + dy, end, n);
            let crowd: f64 = placed.iter().chain(&dots).map(|r| rect.overlap(r)).sum();
            crowd + rect.outside(&bounds)
        };
        let best = CANDIDATES
            .iter()
            .find(|c| cost(c) == 0.0)
            .or_else(|| CANDIDATES.iter().min_by(|a, b| cost(a).total_cmp(&cost(b))))
            .copied()
            .unwrap_or(CANDIDATES[0]);
        let (dx, dy, end) = best;
        placed.push(text_rect(x + dx, y + dy, end, n));
        spots.push(LabelSpot {
            x: x + dx,
            y: y + dy,
            end,
        });
    }
    spots
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_of_coincident_markers_do_not_overlap() {
        let markers = [(100.0, 100.0), (101.0, 100.0), (100.0, 101.0)];
        let spots = place_labels(&markers, &[4, 4, 5], (0.0, 0.0, 400.0, 300.0));
        let rects: Vec<Rect> = spots
            .iter()
            .zip([4, 4, 5])
            .map(|(s, n)| text_rect(s.x, s.y, s.end, n))
            .collect();
        for (i, a) in rects.iter().enumerate() {
            for b in &rects[i + 1..] {
                assert_eq!(a.overlap(b), 0.0, "{spots:?}");
            }
        }
    }

    #[test]
    fn a_label_at_the_right_edge_goes_left_of_its_marker() {
        let spots = place_labels(&[(395.0, 100.0)], &[8], (0.0, 0.0, 400.0, 300.0));
        assert!(spots[0].end);
        assert!(spots[0].x < 395.0);
    }
}
