//! Reading and building tensors.

use super::proto::TensorProto;
use crate::{Error, Result};

pub use super::proto::tensor_proto::DataType;

fn tensor_name(t: &TensorProto) -> &str {
    t.name.as_deref().unwrap_or("")
}

fn element_count(t: &TensorProto) -> Result<usize> {
    t.dims.iter().try_fold(1usize, |acc, &d| {
        usize::try_from(d)
            .ok()
            .and_then(|d| acc.checked_mul(d))
            .ok_or_else(|| {
                Error::InvalidModel(format!(
                    "tensor `{}` has bad dims {:?}",
                    tensor_name(t),
                    t.dims
                ))
            })
    })
}

fn from_raw<const N: usize, T>(
    t: &TensorProto,
    raw: &[u8],
    read: fn([u8; N]) -> T,
) -> Result<Vec<T>> {
    let count = element_count(t)?;
    if raw.len() != count * N {
        return Err(Error::InvalidModel(format!(
            "tensor `{}` holds {} bytes, expected {} for dims {:?}",
            tensor_name(t),
            raw.len(),
            count * N,
            t.dims
        )));
    }
    Ok(raw
        .chunks_exact(N)
        .map(|c| {
            let mut bytes = [0u8; N];
            bytes.copy_from_slice(c);
            read(bytes)
        })
        .collect())
}

/// The values of a float32 tensor.
pub fn tensor_f32(t: &TensorProto) -> Result<Vec<f32>> {
    if t.data_type != Some(DataType::Float as i32) {
        return Err(Error::Unsupported(format!(
            "tensor `{}` is not float32 (data type {})",
            tensor_name(t),
            t.data_type.unwrap_or(0)
        )));
    }
    match &t.raw_data {
        Some(raw) => from_raw(t, raw, f32::from_le_bytes),
        None => Ok(t.float_data.clone()),
    }
}

/// The values of an int64 (or int32) tensor, widened to i64.
pub fn tensor_i64(t: &TensorProto) -> Result<Vec<i64>> {
    match (DataType::try_from(t.data_type.unwrap_or(0)), &t.raw_data) {
        (Ok(DataType::Int64), Some(raw)) => from_raw(t, raw, i64::from_le_bytes),
        (Ok(DataType::Int64), None) => Ok(t.int64_data.clone()),
        (Ok(DataType::Int32), Some(raw)) => Ok(from_raw(t, raw, i32::from_le_bytes)?
            .into_iter()
            .map(i64::from)
            .collect()),
        (Ok(DataType::Int32), None) => Ok(t.int32_data.iter().map(|&v| i64::from(v)).collect()),
        _ => Err(Error::Unsupported(format!(
            "tensor `{}` is not an integer tensor (data type {})",
            tensor_name(t),
            t.data_type.unwrap_or(0)
        ))),
    }
}

fn raw_tensor(name: &str, dims: &[i64], data_type: DataType, raw: Vec<u8>) -> TensorProto {
    TensorProto {
        name: Some(name.to_owned()),
        dims: dims.to_vec(),
        data_type: Some(data_type as i32),
        raw_data: Some(raw),
        ..Default::default()
    }
}

/// A float32 tensor.
pub fn f32_tensor(name: &str, dims: &[i64], values: &[f32]) -> TensorProto {
    let raw = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    raw_tensor(name, dims, DataType::Float, raw)
}

/// An int8 tensor.
pub fn i8_tensor(name: &str, dims: &[i64], values: &[i8]) -> TensorProto {
    let raw = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    raw_tensor(name, dims, DataType::Int8, raw)
}

/// A uint8 tensor.
pub fn u8_tensor(name: &str, dims: &[i64], values: &[u8]) -> TensorProto {
    raw_tensor(name, dims, DataType::Uint8, values.to_vec())
}

/// An int32 tensor.
pub fn i32_tensor(name: &str, dims: &[i64], values: &[i32]) -> TensorProto {
    let raw = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    raw_tensor(name, dims, DataType::Int32, raw)
}

/// An int64 tensor.
pub fn i64_tensor(name: &str, dims: &[i64], values: &[i64]) -> TensorProto {
    let raw = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    raw_tensor(name, dims, DataType::Int64, raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_tensors_round_trip_and_bad_sizes_are_errors() {
        let t = f32_tensor("w", &[2, 2], &[1.0, -2.0, 3.5, 0.0]);
        assert_eq!(tensor_f32(&t).unwrap(), vec![1.0, -2.0, 3.5, 0.0]);
        let mut bad = t.clone();
        bad.dims = vec![3, 2];
        assert!(
            tensor_f32(&bad)
                .unwrap_err()
                .to_string()
                .contains("expected 24")
        );
        assert!(tensor_i64(&t).is_err());
        assert_eq!(
            tensor_i64(&i64_tensor("s", &[3], &[1, -1, 80])).unwrap(),
            vec![1, -1, 80]
        );
        assert_eq!(tensor_i64(&i32_tensor("s", &[1], &[7])).unwrap(), vec![7]);
    }
}
