//! What an index holds, table by table, as a row count and a digest that does not depend
//! on the order of the rows: an index kept up to date edit by edit must hold what one
//! built afresh from the same files holds, and the same schema. SQLite keeps no checksums
//! of its pages, so a flipped bit that leaves a page well formed is found only this way.

use anyhow::Result;
use rusqlite::Connection;
use rusqlite::types::ValueRef;
use std::collections::BTreeMap;

/// A table's rows: how many, and the sum of a hash of each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Digest {
    pub rows: u64,
    sum: u128,
}

/// Each table's [`Digest`], by name.
pub type Contents = BTreeMap<String, Digest>;

/// Columns that say when and in which order things were written, not what the files say:
/// the file ids (rows refer to a file by its path instead), and the size and times a
/// refresh compares. `meta` holds the schema's version, checked on its own, and marks of
/// the last refresh.
fn compared(table: &str, column: &str) -> bool {
    table != "meta"
        && !(table == "files" && matches!(column, "id" | "size" | "mtime_ns" | "ctime_ns"))
}

/// Reads every table of the index whole.
pub fn contents(conn: &Connection) -> Result<Contents> {
    let tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_schema
             WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = Contents::new();
    for table in tables {
        let columns: Vec<String> = conn
            .prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")?
            .query_map([&table], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let selected: Vec<String> = columns
            .iter()
            .filter(|c| compared(&table, c))
            .map(|c| match (table.as_str(), c.as_str()) {
                (t, "file") if t != "files" => {
                    "(SELECT path FROM files WHERE files.id = t.file)".to_string()
                }
                _ => format!("t.\"{c}\""),
            })
            .collect();
        if selected.is_empty() {
            continue;
        }
        let sql = format!("SELECT {} FROM \"{table}\" t", selected.join(", "));
        out.insert(table, digest(conn, &sql)?);
    }
    // The schema itself, but for where each table's pages begin.
    let schema = digest(conn, "SELECT type, name, tbl_name, sql FROM sqlite_schema")?;
    out.insert("sqlite_schema".into(), schema);
    Ok(out)
}

fn digest(conn: &Connection, sql: &str) -> Result<Digest> {
    let mut stmt = conn.prepare(sql)?;
    let columns = stmt.column_count();
    let mut rows = stmt.query([])?;
    let mut digest = Digest { rows: 0, sum: 0 };
    let mut row_hash = blake3::Hasher::new();
    while let Some(r) = rows.next()? {
        row_hash.reset();
        for i in 0..columns {
            feed(&mut row_hash, r.get_ref(i)?);
        }
        let h = row_hash.finalize();
        let head: [u8; 16] = h.as_bytes()[..16].try_into().expect("16 of 32 bytes");
        digest.rows += 1;
        digest.sum = digest.sum.wrapping_add(u128::from_le_bytes(head));
    }
    Ok(digest)
}

/// A value, typed and with its length, so that no two rows feed the same bytes.
fn feed(h: &mut blake3::Hasher, v: ValueRef<'_>) {
    match v {
        ValueRef::Null => h.update(&[0]),
        ValueRef::Integer(i) => h.update(&[1]).update(&i.to_le_bytes()),
        ValueRef::Real(f) => h.update(&[2]).update(&f.to_bits().to_le_bytes()),
        ValueRef::Text(b) => h
            .update(&[3])
            .update(&(b.len() as u64).to_le_bytes())
            .update(b),
        ValueRef::Blob(b) => h
            .update(&[4])
            .update(&(b.len() as u64).to_le_bytes())
            .update(b),
    };
}

/// The tables whose rows differ between `kept` and `fresh`, each with the row counts of
/// both, in table order.
pub fn differences(kept: &Contents, fresh: &Contents) -> Vec<(String, Option<u64>, Option<u64>)> {
    let mut names: Vec<&String> = kept.keys().chain(fresh.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|n| kept.get(*n) != fresh.get(*n))
        .map(|n| {
            (
                n.clone(),
                kept.get(n).map(|d| d.rows),
                fresh.get(n).map(|d| d.rows),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{contents, differences};
    use rusqlite::Connection;

    fn db(rows: &[&str]) -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE files(id INTEGER PRIMARY KEY, path TEXT, size INTEGER, mtime_ns INTEGER,
                                ctime_ns INTEGER, hash BLOB);
             CREATE TABLE observations(file INTEGER, line INTEGER, value REAL);
             CREATE TABLE meta(key TEXT, value TEXT);",
        )
        .unwrap();
        for sql in rows {
            conn.execute_batch(sql).unwrap();
        }
        conn
    }

    #[test]
    fn the_same_rows_in_another_order_and_under_other_file_ids_are_the_same() {
        let a = db(&[
            "INSERT INTO files VALUES (1, 'a.csv', 10, 1, 1, x'01'), (2, 'b.csv', 20, 2, 2, x'02')",
            "INSERT INTO observations VALUES (1, 2, 5.0), (2, 3, 7.5)",
            "INSERT INTO meta VALUES ('generation', 'x')",
        ]);
        let b = db(&[
            "INSERT INTO files VALUES (7, 'b.csv', 20, 9, 9, x'02'), (8, 'a.csv', 11, 8, 8, x'01')",
            "INSERT INTO observations VALUES (7, 3, 7.5), (8, 2, 5.0)",
            "INSERT INTO meta VALUES ('generation', 'y')",
        ]);
        let (a, b) = (contents(&a).unwrap(), contents(&b).unwrap());
        assert_eq!(differences(&a, &b), vec![]);
        assert_eq!(a["observations"].rows, 2);
    }

    #[test]
    fn a_changed_value_a_moved_row_or_a_row_too_many_is_told_by_its_table() {
        let base = [
            "INSERT INTO files VALUES (1, 'a.csv', 10, 1, 1, x'01'), (2, 'b.csv', 20, 2, 2, x'02')",
            "INSERT INTO observations VALUES (1, 2, 5.0), (2, 3, 7.5)",
        ];
        let kept = contents(&db(&base)).unwrap();
        for (change, table, rows) in [
            (
                "UPDATE observations SET value = 5.000000001 WHERE line = 2",
                "observations",
                2,
            ),
            (
                "UPDATE observations SET file = 2 WHERE line = 2",
                "observations",
                2,
            ),
            (
                "INSERT INTO observations VALUES (1, 2, 5.0)",
                "observations",
                3,
            ),
            (
                "UPDATE observations SET value = NULL WHERE line = 3",
                "observations",
                2,
            ),
            ("UPDATE files SET hash = x'03' WHERE id = 1", "files", 2),
            ("DELETE FROM files WHERE id = 2", "files", 1),
        ] {
            let fresh = contents(&db(&[base[0], base[1], change])).unwrap();
            let found = differences(&kept, &fresh);
            assert_eq!(
                found.iter().map(|d| d.0.as_str()).collect::<Vec<_>>(),
                // A file gone changes the rows that name it.
                if table == "files" && rows == 1 {
                    vec!["files", "observations"]
                } else {
                    vec![table]
                },
                "{change}"
            );
            assert_eq!(
                found.iter().find(|d| d.0 == table).unwrap().2,
                Some(rows),
                "{change}"
            );
        }
    }

    #[test]
    fn text_and_blobs_of_the_same_bytes_and_values_split_otherwise_differ() {
        let one = |row: &str| {
            let conn = Connection::open_in_memory().unwrap();
            conn.execute_batch(&format!("CREATE TABLE t(a, b); INSERT INTO t VALUES {row}"))
                .unwrap();
            contents(&conn).unwrap()
        };
        let rows = [
            "('ab', 'c')",
            "('a', 'bc')",
            "(x'6162', 'c')",
            "(1, 'c')",
            "(1.0, 'c')",
            "(NULL, 'c')",
        ];
        for (i, a) in rows.iter().enumerate() {
            for b in &rows[i + 1..] {
                assert_ne!(one(a), one(b), "{a} and {b}");
            }
        }
    }
}
