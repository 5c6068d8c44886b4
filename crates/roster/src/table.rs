//! Plain-text tables for the fleet's reports.

use std::fmt;

/// Writes `rows` under `headers`, each column as wide as its widest cell.
pub(crate) fn write_table(
    f: &mut fmt::Formatter<'_>, headers: &[&str], rows: &[Vec<String>],
) -> fmt::Result {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |f: &mut fmt::Formatter<'_>, cells: &mut dyn Iterator<Item = &str>| {
        let mut first = true;
        for (cell, width) in cells.zip(&widths) {
            if !first {
                f.write_str("  ")?;
            }
            first = false;
            write!(f, "{cell:<width$}")?;
        }
        writeln!(f)
    };
    line(f, &mut headers.iter().copied())?;
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    line(f, &mut rule.iter().map(String::as_str))?;
    for row in rows {
        line(f, &mut row.iter().map(String::as_str))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Demo;

    impl fmt::Display for Demo {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write_table(
                f,
                &["provider", "outcome"],
                &[
                    vec!["iaas".into(), "removed".into()],
                    vec!["medium-one".into(), "not present".into()],
                ],
            )
        }
    }

    #[test]
    fn columns_line_up() {
        let text = Demo.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0].trim_end(), "provider    outcome");
        assert_eq!(lines[1], "----------  -----------");
        assert_eq!(lines[3].trim_end(), "medium-one  not present");
    }
}
