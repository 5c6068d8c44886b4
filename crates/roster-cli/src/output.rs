//! Writing data to stdout: aligned tables, or one JSON object per line.
//!
//! Every JSON object carries `"version": 1` and a `"kind"` naming its shape
//! (see JSON.md). Lines are written as they are produced, so a stream
//! (`users list`) reaches a pipe as pages arrive.

use std::io::Write;

use serde_json::{Map, Value};

use crate::cli::Format;

/// The version of every JSON shape this build writes.
pub const JSON_VERSION: u64 = 1;

/// Where data goes.
pub struct Out {
    format: Format,
}

impl Out {
    /// Writing in `format`.
    pub fn new(format: Format) -> Self {
        Out { format }
    }

    /// Whether the format is JSON.
    pub fn is_json(&self) -> bool {
        self.format == Format::Json
    }

    /// One line of text (tables, messages that are data).
    pub fn line(&self, text: impl AsRef<str>) {
        let mut stdout = std::io::stdout().lock();
        // A closed pipe (`| head`) is not an error worth a panic.
        let _ = writeln!(stdout, "{}", text.as_ref());
    }

    /// Text as it is (it ends in its own newline).
    pub fn text(&self, text: impl AsRef<str>) {
        let mut stdout = std::io::stdout().lock();
        let _ = write!(stdout, "{}", text.as_ref());
        let _ = stdout.flush();
    }

    /// One JSON object of shape `kind`, on one line: `fields` (an object)
    /// plus `version` and `kind`.
    pub fn object(&self, kind: &str, fields: Value) {
        let mut map = match fields {
            Value::Object(map) => map,
            Value::Null => Map::new(),
            other => {
                let mut map = Map::new();
                map.insert("value".into(), other);
                map
            }
        };
        map.insert("version".into(), Value::from(JSON_VERSION));
        map.insert("kind".into(), Value::from(kind));
        self.line(Value::Object(map).to_string());
    }

    /// Rows under headers, each column as wide as its widest cell.
    pub fn table(&self, headers: &[&str], rows: &[Vec<String>]) {
        self.text(table(headers, rows));
    }
}

/// A table as text.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    let mut line = |cells: Vec<&str>| {
        let mut parts = Vec::new();
        for (cell, width) in cells.iter().zip(&widths) {
            parts.push(format!("{cell:<width$}"));
        }
        text.push_str(parts.join("  ").trim_end());
        text.push('\n');
    };
    line(headers.to_vec());
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    line(rule.iter().map(String::as_str).collect());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
    text
}

/// A row of a streamed table: the first columns padded to fixed widths,
/// since the rows to come are not known yet.
pub fn stream_row(cells: &[&str], widths: &[usize]) -> String {
    let mut parts = Vec::new();
    for (i, cell) in cells.iter().enumerate() {
        match widths.get(i) {
            Some(width) => parts.push(format!("{cell:<width$}")),
            None => parts.push((*cell).to_owned()),
        }
    }
    parts.join("  ").trim_end().to_owned()
}
