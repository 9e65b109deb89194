//! The one byte range a download serves from a `Range` header (RFC 9110 §14): `bytes=a-b`,
//! `bytes=a-` or `bytes=-n`. Several ranges, other units and malformed headers are ignored
//! and the whole file is sent, as the RFC allows.

use std::ops::Range;

use axum::http::HeaderValue;

/// What a download sends of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum RangeRequest {
    /// The whole file (200).
    Whole,
    /// These bytes (206).
    Part(Range<u64>),
    /// A range that starts past the end (416).
    Unsatisfiable,
}

/// The part of a `size`-byte file that `header` asks for.
pub(super) fn requested_range(header: Option<&HeaderValue>, size: u64) -> RangeRequest {
    let Some(spec) = header
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.trim().strip_prefix("bytes="))
    else {
        return RangeRequest::Whole;
    };
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeRequest::Whole;
    };
    let parse = |s: &str| s.trim().parse::<u64>().ok();
    match (first.trim().is_empty(), parse(first), parse(last)) {
        // bytes=-n: the last n bytes.
        (true, _, Some(0)) => RangeRequest::Unsatisfiable,
        (true, _, Some(n)) if size > 0 => RangeRequest::Part(size.saturating_sub(n)..size),
        (true, _, Some(_)) => RangeRequest::Unsatisfiable,
        (false, Some(start), _) if start >= size => RangeRequest::Unsatisfiable,
        // bytes=a-: from a to the end.
        (false, Some(start), None) if last.trim().is_empty() => RangeRequest::Part(start..size),
        // bytes=a-b, b inclusive and clamped to the end.
        (false, Some(start), Some(end)) if start <= end => {
            RangeRequest::Part(start..end.saturating_add(1).min(size))
        }
        _ => RangeRequest::Whole,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(header: &str, size: u64) -> RangeRequest {
        requested_range(Some(&HeaderValue::from_str(header).unwrap()), size)
    }

    #[test]
    fn a_bounded_range_is_inclusive_and_clamped_to_the_end() {
        assert_eq!(range("bytes=0-9", 100), RangeRequest::Part(0..10));
        assert_eq!(range("bytes=90-200", 100), RangeRequest::Part(90..100));
    }

    #[test]
    fn open_and_suffix_ranges_reach_the_end() {
        assert_eq!(range("bytes=40-", 100), RangeRequest::Part(40..100));
        assert_eq!(range("bytes=-10", 100), RangeRequest::Part(90..100));
        assert_eq!(range("bytes=-500", 100), RangeRequest::Part(0..100));
    }

    #[test]
    fn a_range_past_the_end_is_unsatisfiable() {
        assert_eq!(range("bytes=100-", 100), RangeRequest::Unsatisfiable);
        assert_eq!(range("bytes=-0", 100), RangeRequest::Unsatisfiable);
        assert_eq!(range("bytes=-5", 0), RangeRequest::Unsatisfiable);
    }

    #[test]
    fn what_is_not_one_byte_range_sends_the_whole_file() {
        assert_eq!(requested_range(None, 100), RangeRequest::Whole);
        assert_eq!(range("bytes=0-1,5-6", 100), RangeRequest::Whole);
        assert_eq!(range("items=0-1", 100), RangeRequest::Whole);
        assert_eq!(range("bytes=9-2", 100), RangeRequest::Whole);
        assert_eq!(range("bytes=x-2", 100), RangeRequest::Whole);
    }
}
