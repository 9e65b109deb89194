//! Sorting a table by one column: numbers by value, text alphabetically, blanks last.

use std::cmp::Ordering;

/// A cell's value as a sort key.
#[derive(Debug, Clone, PartialEq)]
pub enum SortKey {
    /// A number, or a blank.
    Number(Option<f64>),
    /// Text.
    Text(String),
}

fn compare(a: &SortKey, b: &SortKey) -> Ordering {
    match (a, b) {
        (SortKey::Number(Some(x)), SortKey::Number(Some(y))) => x.total_cmp(y),
        (SortKey::Text(x), SortKey::Text(y)) => x.to_lowercase().cmp(&y.to_lowercase()),
        _ => Ordering::Equal,
    }
}

fn blank(key: &SortKey) -> bool {
    matches!(key, SortKey::Number(None))
}

/// The row order that sorts `keys` (one per row), ascending or descending; blanks stay
/// last either way and ties keep their order.
pub fn sorted_order(keys: &[SortKey], descending: bool) -> Vec<usize> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by(|&i, &j| {
        let (a, b) = (&keys[i], &keys[j]);
        match (blank(a), blank(b)) {
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (true, true) => Ordering::Equal,
            _ if descending => compare(b, a),
            _ => compare(a, b),
        }
    });
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_sort_by_value_with_blanks_last() {
        let keys = [
            SortKey::Number(Some(2.0)),
            SortKey::Number(None),
            SortKey::Number(Some(10.0)),
        ];
        assert_eq!(sorted_order(&keys, false), vec![0, 2, 1]);
        assert_eq!(sorted_order(&keys, true), vec![2, 0, 1]);
    }

    #[test]
    fn text_sorts_without_regard_to_case() {
        let keys = [
            SortKey::Text("conv_b".into()),
            SortKey::Text("Conv_a".into()),
        ];
        assert_eq!(sorted_order(&keys, false), vec![1, 0]);
    }
}
