//! Just enough JSON writing for the Chrome trace and the page's data: a
//! quoted string and a timestamp (the crate has no serde at run time).

use std::fmt::Write;

/// `s` as a JSON string literal, quotes included. Also safe inside an HTML
/// `<script>`: `<` is escaped, so no `</script>` can end it early.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' => out.push_str("\\u003c"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Nanoseconds as microseconds with three decimals (`1500` -> `1.500`):
/// what Chrome's `ts` and `dur` expect, without float formatting.
pub(crate) fn micros(ns: u64) -> String {
    format!("{}.{:03}", ns / 1000, ns % 1000)
}
