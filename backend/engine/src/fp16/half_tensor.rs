//! Float32 tensors as float16.

use half::f16;

use crate::onnx::proto::{TensorProto, tensor_proto::DataType};
use crate::onnx::tensor_f32;
use crate::{Error, Result};

/// The float32 tensor `t` as float16 (same name and dims), values beyond float16's range
/// clamped to its largest finite value.
pub(super) fn to_half_tensor(t: &TensorProto) -> Result<TensorProto> {
    let values = tensor_f32(t)?;
    let expected = t.dims.iter().product::<i64>();
    if i64::try_from(values.len()).ok() != Some(expected) {
        return Err(Error::Unsupported(format!(
            "tensor `{}` keeps its data outside the model (or holds {} values for dims {:?}); \
             load the model with its external data first",
            t.name.as_deref().unwrap_or(""),
            values.len(),
            t.dims
        )));
    }
    let limit = f32::from(f16::MAX);
    let raw = values
        .iter()
        .map(|&v| {
            f16::from_f32(if v.is_finite() {
                v.clamp(-limit, limit)
            } else {
                v
            })
        })
        .flat_map(|h| h.to_bits().to_le_bytes())
        .collect();
    Ok(TensorProto {
        name: t.name.clone(),
        dims: t.dims.clone(),
        data_type: Some(DataType::Float16 as i32),
        raw_data: Some(raw),
        doc_string: t.doc_string.clone(),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::onnx::f32_tensor;

    #[test]
    fn values_become_half_and_huge_ones_are_clamped() {
        let t = to_half_tensor(&f32_tensor("w", &[3], &[1.5, -1e6, 0.1])).unwrap();
        assert_eq!(t.data_type, Some(DataType::Float16 as i32));
        let raw = t.raw_data.unwrap();
        let halves: Vec<f32> = raw
            .chunks_exact(2)
            .map(|c| f16::from_bits(u16::from_le_bytes([c[0], c[1]])).to_f32())
            .collect();
        assert_eq!(halves[0], 1.5);
        assert_eq!(halves[1], -65504.0);
        assert!((halves[2] - 0.1).abs() < 1e-4);
    }
}
