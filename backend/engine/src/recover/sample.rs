//! A fixed-size, reproducible sample of a tensor's values.

/// Values sampled from each tensor on each image.
pub(crate) const SAMPLES_PER_IMAGE: usize = 2048;

/// Up to [`SAMPLES_PER_IMAGE`] finite values of `values` (tensor `tensor` on image number
/// `image`), at [`positions`] seeded by both: the same inputs always give the same sample.
pub(crate) fn sample(values: &[f32], image: u64, tensor: &str) -> Vec<f32> {
    if values.len() <= SAMPLES_PER_IMAGE {
        return values.iter().copied().filter(|v| v.is_finite()).collect();
    }
    positions(values.len(), SAMPLES_PER_IMAGE, image, tensor)
        .map(|i| values[i])
        .filter(|v| v.is_finite())
        .collect()
}

/// `count` positions below `len` (`len` > 0), drawn by a splitmix64 generator seeded by
/// `image` and `name`: each tensor or layer draws its own, reproducibly.
pub(crate) fn positions(
    len: usize,
    count: usize,
    image: u64,
    name: &str,
) -> impl Iterator<Item = usize> {
    let mut state = image.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ fnv(name);
    (0..count).map(move |_| {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z % len as u64) as usize
    })
}

/// The FNV-1a hash of `name`, so each tensor draws its own positions.
fn fnv(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_is_reproducible_and_bounded() {
        let values: Vec<f32> = (0..100_000).map(|i| i as f32).collect();
        let a = sample(&values, 3, "x");
        assert_eq!(a.len(), SAMPLES_PER_IMAGE);
        assert_eq!(a, sample(&values, 3, "x"));
        assert_ne!(a, sample(&values, 4, "x"));
        assert_eq!(sample(&[1.0, f32::NAN], 0, "x"), vec![1.0]);
    }
}
