//! Tables for a file, a pipe or a printer, written as they are made.
//!
//! The layout is the one comfy-table gives off a terminal: every column as wide as its
//! widest line, measured in display columns (a Chinese character takes two), cells padded
//! by one space, a Markdown header rule. comfy-table keeps several copies of every cell
//! while it lays a table out, which for a province's `gaps` (100,000 rows) took more than
//! a second and 680 MB; this writes the same bytes from one copy. A terminal still gets
//! comfy-table, which wraps long cells to the window's width and colours the lights.

use anyhow::Result;
use std::io::Write;
use unicode_width::UnicodeWidthStr;

/// Wider than this, comfy-table (whose widths are 16-bit) wraps a line, so a table with
/// such a cell is left to it.
const WIDEST: usize = 60_000;

/// Writes `header` and `rows` as comfy-table's ASCII Markdown preset lays them out without
/// a terminal, with a newline after the last line. Returns `false`, having written
/// nothing, when a line of a cell is wider than [`WIDEST`].
pub fn write(header: &[&str], rows: &[Vec<String>], out: &mut dyn Write) -> Result<bool> {
    let columns = rows.iter().map(Vec::len).fold(header.len(), usize::max);
    // A column is at least one character wide, even when every cell in it is empty.
    let mut widths = vec![1; columns];
    let mut measure = |cells: &mut dyn Iterator<Item = &str>| {
        for (width, cell) in widths.iter_mut().zip(cells) {
            for line in cell.split('\n') {
                *width = (*width).max(line.width());
            }
        }
    };
    measure(&mut header.iter().copied());
    for row in rows {
        measure(&mut row.iter().map(String::as_str));
    }
    if widths.iter().any(|&w| w > WIDEST) {
        return Ok(false);
    }

    let mut line = String::new();
    write_row(header, &widths, &mut line, out)?;
    line.clear();
    line.push('|');
    for &width in &widths {
        line.extend(std::iter::repeat_n('-', width + 2));
        line.push('|');
    }
    line.push('\n');
    out.write_all(line.as_bytes())?;
    for row in rows {
        write_row(row, &widths, &mut line, out)?;
    }
    Ok(true)
}

/// One row: as many lines as its tallest cell has; a cell with fewer lines, or a missing
/// cell, is blank below.
fn write_row<S: AsRef<str>>(
    cells: &[S],
    widths: &[usize],
    line: &mut String,
    out: &mut dyn Write,
) -> Result<()> {
    let height = cells
        .iter()
        .map(|c| c.as_ref().split('\n').count())
        .max()
        .unwrap_or(1);
    let mut parts: Vec<std::str::Split<'_, char>> =
        cells.iter().map(|c| c.as_ref().split('\n')).collect();
    for _ in 0..height {
        line.clear();
        line.push('|');
        for (i, &width) in widths.iter().enumerate() {
            match parts.get_mut(i).and_then(Iterator::next) {
                Some(part) => {
                    line.push(' ');
                    line.push_str(part);
                    line.extend(std::iter::repeat_n(' ', width - part.width() + 1));
                }
                None => line.extend(std::iter::repeat_n(' ', width + 2)),
            }
            line.push('|');
        }
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::write;
    use comfy_table::{ContentArrangement, Table, presets};
    use proptest::prelude::*;

    /// The table comfy-table lays out off a terminal, as reports made it before.
    fn comfy(header: &[&str], rows: &[Vec<String>]) -> String {
        let mut t = Table::new();
        t.load_style(presets::ASCII_MARKDOWN)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .force_no_tty()
            .set_header(header.to_vec());
        for r in rows {
            t.add_row(r.clone());
        }
        format!("{t}\n")
    }

    fn ours(header: &[&str], rows: &[Vec<String>]) -> Option<String> {
        let mut out = Vec::new();
        write(header, rows, &mut out)
            .unwrap()
            .then(|| String::from_utf8(out).unwrap())
    }

    fn cells(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect()
    }

    #[test]
    fn chinese_empty_and_multiline_cells_are_laid_out_as_comfy_table_does() {
        let header = ["light", "单位", "note"];
        let cases = [
            cells(&[]),
            cells(&[&["red", "思明区", ""]]),
            cells(&[&["", "", ""]]),
            cells(&[
                &["red", "厦门市思明区民政局", "两行\n的备注"],
                &["green", "x", "a\nb\nc"],
                &["yellow", "湖里区"],
            ]),
        ];
        for rows in cases {
            assert_eq!(
                ours(&header, &rows).unwrap(),
                comfy(&header, &rows),
                "{rows:?}"
            );
        }
    }

    #[test]
    fn a_cell_too_wide_for_comfy_table_is_left_to_it() {
        let rows = vec![vec!["字".repeat(30_001)]];
        assert_eq!(ours(&["note"], &rows), None);
        let rows = vec![vec!["字".repeat(30_000)]];
        assert_eq!(ours(&["note"], &rows).unwrap(), comfy(&["note"], &rows));
    }

    proptest! {
        #[test]
        fn any_cells_are_laid_out_as_comfy_table_does(
            rows in prop::collection::vec(
                prop::collection::vec("[a-z思明区民政局é\u{301}😀 \n\t-]{0,12}", 0..6),
                0..6,
            )
        ) {
            let header = ["灯", "unit", "", "note"];
            prop_assert_eq!(ours(&header, &rows).unwrap(), comfy(&header, &rows));
        }
    }
}
