//! Plain-text output: aligned columns with a header row, and aligned `key  value` blocks.

/// A table: a header row and rows of cells, rendered with columns padded to the widest cell.
#[derive(Debug, Clone, Default)]
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// Shown for an absent value.
pub const NONE: &str = "-";

impl Table {
    /// A table with these column headers.
    pub fn new(headers: &[&str]) -> Self {
        Self {
            headers: headers.iter().map(|h| (*h).to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; missing cells render empty, extra cells are kept.
    pub fn row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.rows.push(cells.into_iter().map(Into::into).collect());
    }

    /// Whether no row was added.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table as text, one line per row, each ending in a newline.
    pub fn render(&self) -> String {
        let ncols = self
            .rows
            .iter()
            .map(Vec::len)
            .chain([self.headers.len()])
            .max()
            .unwrap_or(0);
        let mut widths = vec![0usize; ncols];
        for r in std::iter::once(&self.headers).chain(&self.rows) {
            for (i, c) in r.iter().enumerate() {
                widths[i] = widths[i].max(c.chars().count());
            }
        }
        let mut out = String::new();
        for r in std::iter::once(&self.headers).chain(&self.rows) {
            let mut line = String::new();
            for (i, w) in widths.iter().enumerate() {
                let cell = r.get(i).map_or("", String::as_str);
                if i > 0 {
                    line.push_str("  ");
                }
                line.push_str(cell);
                line.extend(std::iter::repeat_n(
                    ' ',
                    w.saturating_sub(cell.chars().count()),
                ));
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// Aligned `key  value` lines.
pub fn key_values(pairs: &[(String, String)]) -> String {
    let width = pairs
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (k, v) in pairs {
        let pad = width.saturating_sub(k.chars().count());
        out.push_str(format!("{k}{}  {v}", " ".repeat(pad)).trim_end());
        out.push('\n');
    }
    out
}

/// The fields of a JSON object as displayable pairs, skipping `skip`; nested values as JSON.
pub fn object_pairs(v: &serde_json::Value, skip: &[&str]) -> Vec<(String, String)> {
    let Some(o) = v.as_object() else {
        return Vec::new();
    };
    o.iter()
        .filter(|(k, _)| !skip.contains(&k.as_str()))
        .map(|(k, v)| {
            let text = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), text)
        })
        .collect()
}

/// `text`, or [`NONE`] when empty.
pub fn or_none(text: impl Into<String>) -> String {
    let s = text.into();
    if s.is_empty() { NONE.to_string() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_aligned_and_lines_trimmed() {
        let mut t = Table::new(&["NAME", "MEMBERS", "TRUST"]);
        t.row(["admin", "user.admin", ""]);
        t.row(["readers", "user.joe,user.jane", "other"]);
        assert_eq!(
            t.render(),
            "NAME     MEMBERS             TRUST\nadmin    user.admin\nreaders  user.joe,user.jane  other\n"
        );
        assert!(!t.is_empty());
    }

    #[test]
    fn key_values_align() {
        let out = key_values(&[
            ("name".into(), "sports".into()),
            ("account".into(), "1".into()),
        ]);
        assert_eq!(out, "name     sports\naccount  1\n");
    }

    #[test]
    fn object_pairs_skip_and_stringify() {
        let v = serde_json::json!({"name": "d", "ypmId": 7, "org": "x"});
        assert_eq!(
            object_pairs(&v, &["name"]),
            vec![
                ("org".to_string(), "x".to_string()),
                ("ypmId".into(), "7".into())
            ]
        );
        assert_eq!(or_none(""), "-");
    }
}
