//! A chosen rounding of a layer's INT8 weights: which weights round up instead of down,
//! as adaptive rounding decided it for one weight range.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::WeightRange;

/// Which of a layer's weights round up (to the ceiling of `w / scale`) and which round down,
/// in the weight's element order, decided for one weight range (the per-channel scales
/// follow from the range, so a rounding chosen for another range does not apply).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeightRounding {
    /// The weight range the rounding was chosen for.
    pub range: WeightRange,
    /// One bit per weight, set where it rounds up; written as hexadecimal bytes.
    #[serde(serialize_with = "to_hex", deserialize_with = "from_hex")]
    pub up: Vec<bool>,
}

impl WeightRounding {
    /// Whether the rounding fits `count` weights quantized within `range`.
    pub(crate) fn fits(&self, count: usize, range: WeightRange) -> bool {
        self.range == range && self.up.len() == count
    }
}

fn to_hex<S: Serializer>(bits: &[bool], serializer: S) -> Result<S::Ok, S::Error> {
    let mut text = format!("{}:", bits.len());
    for chunk in bits.chunks(8) {
        let byte = chunk
            .iter()
            .enumerate()
            .fold(0u8, |byte, (i, &bit)| byte | (u8::from(bit) << i));
        text.push_str(&format!("{byte:02x}"));
    }
    serializer.serialize_str(&text)
}

fn from_hex<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<bool>, D::Error> {
    use serde::de::Error;
    let text = String::deserialize(deserializer)?;
    let (count, hex) = text
        .split_once(':')
        .ok_or_else(|| D::Error::custom("a rounding is written `COUNT:HEX`"))?;
    let count: usize = count
        .parse()
        .map_err(|_| D::Error::custom("a rounding's count is not a number"))?;
    if hex.len() != count.div_ceil(8) * 2 || !hex.is_ascii() {
        return Err(D::Error::custom(format!(
            "a rounding of {count} weights needs {} hexadecimal digits",
            count.div_ceil(8) * 2
        )));
    }
    let mut bits = Vec::with_capacity(count);
    for pair in hex.as_bytes().chunks(2) {
        let digits = std::str::from_utf8(pair).map_err(D::Error::custom)?;
        let byte = u8::from_str_radix(digits, 16)
            .map_err(|_| D::Error::custom(format!("`{digits}` is not a hexadecimal byte")))?;
        for i in 0..8 {
            if bits.len() < count {
                bits.push(byte >> i & 1 == 1);
            }
        }
    }
    Ok(bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rounding_is_written_as_hex_and_read_back() {
        let rounding = WeightRounding {
            range: WeightRange::Reduced,
            up: vec![true, false, false, true, true, false, false, false, true],
        };
        let json = serde_json::to_string(&rounding).unwrap();
        assert_eq!(json, r#"{"range":"reduced","up":"9:1901"}"#);
        assert_eq!(
            serde_json::from_str::<WeightRounding>(&json).unwrap(),
            rounding
        );
        for bad in [r#""9:19""#, r#""x:1901""#, r#""9:1g01""#, r#""1901""#] {
            let json = format!(r#"{{"range":"full","up":{bad}}}"#);
            assert!(
                serde_json::from_str::<WeightRounding>(&json).is_err(),
                "{bad}"
            );
        }
    }
}
