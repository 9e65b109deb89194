//! What exporters write about a detector in the model's `metadata_props`: the input size and
//! the class names.

use crate::onnx::proto::ModelProto;

/// The value of the metadata entry `key`, if the model has one.
fn metadata<'a>(model: &'a ModelProto, key: &str) -> Option<&'a str> {
    model
        .metadata_props
        .iter()
        .find(|p| p.key.as_deref() == Some(key))
        .and_then(|p| p.value.as_deref())
}

/// The `(width, height)` of the input in the Ultralytics `imgsz` entry: `[height, width]` or
/// one number for a square input.
pub(super) fn metadata_input_size(model: &ModelProto) -> Option<(u32, u32)> {
    let text = metadata(model, "imgsz")?;
    let sides: Vec<u32> = text
        .trim()
        .trim_start_matches(['[', '('])
        .trim_end_matches([']', ')'])
        .split(',')
        .map(|s| s.trim().parse::<u32>().ok().filter(|&v| v > 0))
        .collect::<Option<_>>()?;
    match sides.as_slice() {
        [side] => Some((*side, *side)),
        [height, width] => Some((*width, *height)),
        _ => None,
    }
}

/// The class names the model carries: the Ultralytics `names` entry (a Python dict literal
/// such as `{0: 'person', 1: 'bicycle'}`, indices 0 to n - 1), else a `character` entry of
/// one name per line (PaddlePaddle exports as RapidAI packages them).
pub(super) fn metadata_class_names(model: &ModelProto) -> Option<Vec<String>> {
    if let Some(names) = metadata(model, "names").and_then(parse_python_dict_names) {
        return Some(names);
    }
    let lines: Vec<String> = metadata(model, "character")?
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    (!lines.is_empty()).then_some(lines)
}

/// The values of a `{index: 'name', ...}` literal, in index order; `None` unless the indices
/// are exactly 0 to n - 1 and every name is a quoted string.
fn parse_python_dict_names(text: &str) -> Option<Vec<String>> {
    let body = text.trim().strip_prefix('{')?.strip_suffix('}')?;
    let mut chars = body.chars().peekable();
    let mut entries: Vec<(usize, String)> = Vec::new();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let index: String = chars.by_ref().take_while(|&c| c != ':').collect();
        let index = index.trim().parse::<usize>().ok()?;
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let quote = chars.next().filter(|&c| c == '\'' || c == '"')?;
        let mut name = String::new();
        loop {
            match chars.next()? {
                '\\' => name.push(chars.next()?),
                c if c == quote => break,
                c => name.push(c),
            }
        }
        entries.push((index, name));
    }
    entries.sort_by_key(|(index, _)| *index);
    let in_order = entries
        .iter()
        .enumerate()
        .all(|(i, (index, _))| i == *index);
    (in_order && !entries.is_empty()).then(|| entries.into_iter().map(|(_, n)| n).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::onnx::proto::StringStringEntryProto;

    fn with_metadata(entries: &[(&str, &str)]) -> ModelProto {
        ModelProto {
            metadata_props: entries
                .iter()
                .map(|(k, v)| StringStringEntryProto {
                    key: Some((*k).to_owned()),
                    value: Some((*v).to_owned()),
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn imgsz_is_height_then_width() {
        let model = with_metadata(&[("imgsz", "[320, 480]")]);
        assert_eq!(metadata_input_size(&model), Some((480, 320)));
        assert_eq!(
            metadata_input_size(&with_metadata(&[("imgsz", "640")])),
            Some((640, 640))
        );
        assert_eq!(
            metadata_input_size(&with_metadata(&[("imgsz", "[0, 3]")])),
            None
        );
        assert_eq!(metadata_input_size(&with_metadata(&[])), None);
    }

    #[test]
    fn ultralytics_names_are_read_in_index_order() {
        let model = with_metadata(&[("names", r#"{1: "it's", 0: 'FACE_MALE', 2: 'a\'b'}"#)]);
        assert_eq!(
            metadata_class_names(&model).unwrap(),
            ["FACE_MALE", "it's", "a'b"]
        );
    }

    #[test]
    fn names_with_a_gap_or_no_quotes_are_not_names() {
        assert_eq!(parse_python_dict_names("{0: 'a', 2: 'b'}"), None);
        assert_eq!(parse_python_dict_names("{0: a}"), None);
        assert_eq!(parse_python_dict_names("{}"), None);
    }

    #[test]
    fn paddle_character_metadata_is_one_name_per_line() {
        let model = with_metadata(&[("character", "text\ntitle\n\nfigure\n")]);
        assert_eq!(
            metadata_class_names(&model).unwrap(),
            ["text", "title", "figure"]
        );
    }
}
