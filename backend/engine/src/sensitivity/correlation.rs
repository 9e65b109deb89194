//! How alike two layer rankings are.

use std::collections::HashMap;

/// Spearman's rank correlation of two rankings of the same layers (1: same order, -1:
/// reversed); `None` when they do not hold the same names or hold fewer than two.
pub fn spearman_rank_correlation(a: &[String], b: &[String]) -> Option<f64> {
    let n = a.len();
    if n < 2 || b.len() != n {
        return None;
    }
    let position: HashMap<&str, usize> = b
        .iter()
        .enumerate()
        .map(|(i, name)| (name.as_str(), i))
        .collect();
    if position.len() != n {
        return None;
    }
    let mut squared = 0.0;
    for (i, name) in a.iter().enumerate() {
        let j = *position.get(name.as_str())?;
        let d = i as f64 - j as f64;
        squared += d * d;
    }
    let n = n as f64;
    Some(1.0 - 6.0 * squared / (n * (n * n - 1.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn identical_reversed_and_mismatched_rankings() {
        let a = names(&["a", "b", "c", "d"]);
        assert_eq!(spearman_rank_correlation(&a, &a), Some(1.0));
        assert_eq!(
            spearman_rank_correlation(&a, &names(&["d", "c", "b", "a"])),
            Some(-1.0)
        );
        assert_eq!(
            spearman_rank_correlation(&a, &names(&["b", "a", "c", "d"])),
            Some(0.8)
        );
        assert_eq!(
            spearman_rank_correlation(&a, &names(&["a", "b", "c", "x"])),
            None
        );
    }
}
