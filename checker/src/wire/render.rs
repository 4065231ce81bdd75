//! Bytes made readable for a beginner: escaped text, hex, and the first
//! difference between what was expected and what came.

use crate::verdict::{Failure, Outcome};

/// How many bytes of a longer message the transcript shows.
const PREVIEW: usize = 64;
/// Binary messages up to this size (a DNS datagram, a small frame) are shown
/// whole, in hex: a student comparing bytes needs all of them.
pub(super) const WHOLE_HEX: usize = 512;

/// "12 bytes: "hello\n"" or "5000 bytes (hex): 00 01 02 … … 4936 more
/// bytes", cut short.
pub fn preview(bytes: &[u8]) -> String {
    preview_parts(
        &bytes[..bytes.len().min(WHOLE_HEX)],
        bytes.len(),
        looks_like_text(bytes),
    )
}

/// The preview of a message of `length` bytes whose first bytes are
/// `head`, shown as text when `text`, else as hex.
pub(super) fn preview_parts(head: &[u8], length: usize, text: bool) -> String {
    let most = if !text && length <= WHOLE_HEX {
        WHOLE_HEX
    } else {
        PREVIEW
    };
    let shown = &head[..head.len().min(most)];
    let more = match length - shown.len() {
        0 => String::new(),
        1 => " … 1 more byte".to_string(),
        n => format!(" … {n} more bytes"),
    };
    let unit = if length == 1 { "byte" } else { "bytes" };
    if text {
        format!("{length} {unit}: {}{more}", escape(shown))
    } else {
        format!("{length} {unit} (hex): {}{more}", hex(shown))
    }
}

/// Text with escapes, in quotes: `"hello\n\xff"`.
pub fn escape(bytes: &[u8]) -> String {
    format!("\"{}\"", bytes.escape_ascii())
}

/// Text a program printed, in quotes, as it reads: only control
/// characters are escaped (`thread 'main' panicked`, not `thread \'main\'`).
pub fn quote_text(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out.push('"');
    out
}

/// Bytes as hex pairs: `00 01 ff`.
pub fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Mostly printable ASCII (so shown escaped, not as hex)?
pub(super) fn looks_like_text(bytes: &[u8]) -> bool {
    let printable = bytes
        .iter()
        .filter(|&&b| b.is_ascii_graphic() || b" \t\r\n".contains(&b))
        .count();
    printable * 10 >= bytes.len() * 9
}

/// Either form, whichever suits the data: for expected/got lines.
pub fn show(bytes: &[u8]) -> String {
    if bytes.len() <= 2 * PREVIEW && looks_like_text(bytes) {
        let unit = if bytes.len() == 1 { "byte" } else { "bytes" };
        format!("{} ({} {unit})", escape(bytes), bytes.len())
    } else {
        preview(bytes)
    }
}

/// Compares bytes, and explains the first difference for a beginner: its
/// offset, and a few bytes of each side around it, in hex.
pub fn compare(what: &str, expected: &[u8], got: &[u8]) -> Outcome {
    if expected == got {
        return Ok(());
    }
    let at = expected
        .iter()
        .zip(got)
        .position(|(a, b)| a != b)
        .unwrap_or(expected.len().min(got.len()));
    let from = at.saturating_sub(8);
    // Each side as text or hex, then the bytes around the first difference
    // in hex; but no window at all beside a side that holds nothing.
    let both = !expected.is_empty() && !got.is_empty();
    let side = |b: &[u8]| {
        let end = b.len().min(at + 8);
        if b.is_empty() {
            "nothing".to_string()
        } else if !both || from >= end {
            show(b)
        } else {
            format!(
                "{}\n  bytes {from}..{end} in hex: {}",
                show(b),
                hex(&b[from..end])
            )
        }
    };
    let summary = if at == got.len() && got.len() < expected.len() {
        format!("{what}: got only {} of {} bytes", got.len(), expected.len())
    } else if at == expected.len() {
        format!(
            "{what}: got {} bytes, {} more than expected",
            got.len(),
            got.len() - expected.len()
        )
    } else {
        format!("{what}: the bytes differ from byte {at} on (counting from 0)")
    };
    Err(Failure::failed(summary)
        .expected(side(expected))
        .got(side(got)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_binary_is_hex() {
        assert_eq!(preview(b"hi\n"), "3 bytes: \"hi\\n\"");
        assert_eq!(preview(&[0, 1, 0xff]), "3 bytes (hex): 00 01 ff");
        assert_eq!(preview(b"x"), "1 byte: \"x\"");
    }

    #[test]
    fn printed_text_keeps_its_quotes_and_escapes_control_characters() {
        assert_eq!(
            quote_text("thread 'main' panicked\tat\n"),
            "\"thread 'main' panicked\\tat\\n\""
        );
    }

    #[test]
    fn compare_names_the_first_differing_byte() {
        assert!(compare("echo", b"abc", b"abc").is_ok());
        let f = compare("echo", b"Hello, world", b"Hello, World").unwrap_err();
        assert!(f.summary.contains("differ from byte 7"), "{}", f.summary);
        assert!(f.expected.unwrap().contains("77 6f 72 6c 64"));
        assert!(f.got.unwrap().contains("57 6f 72 6c 64"));
    }

    #[test]
    fn compare_explains_short_and_long_data_without_hex_beside_nothing() {
        let short = compare("echo", b"abcdef", b"abc").unwrap_err();
        assert!(
            short.summary.contains("got only 3 of 6 bytes"),
            "{}",
            short.summary
        );
        let long = compare("echo", b"abc", b"abcdef").unwrap_err();
        assert!(
            long.summary.contains("3 more than expected"),
            "{}",
            long.summary
        );
        let none = compare("echo", &[7u8; 300], b"").unwrap_err();
        assert_eq!(none.got.as_deref(), Some("nothing"));
        assert!(!none.expected.unwrap().contains("in hex"));
    }
}
