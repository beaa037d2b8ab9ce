//! A cheap estimate of how deeply a shell text nests, computed before parsing so that input
//! nested deeply enough to exhaust the parser's stack (brush-parser recurses per level) is
//! refused, or parsed on a thread with a large stack, instead of aborting the process.
//!
//! Invariant: the estimate errs high. It counts every opener that can start a recursion level
//! (`(`, `{`, `$(`, `${`, backquotes, `if`/`while`/`until`/`for`/`case`/`select`) outside single
//! quotes, and closers only when they are not quoted, so quoted closers cannot hide depth.

/// A frame of the scanner's context stack.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Frame {
    Double,
    Paren,
    Brace,
}

/// An upper bound of [`depth`] at one comparison per byte, so that short or flat text (the
/// common case) skips the scan: every level `depth` counts is opened by a byte of its own —
/// `(`, `{`, `"`, a backquote, or the first letter of a keyword (`if`, `while`, `until`,
/// `for`, `case`, `select`).
pub(crate) fn depth_bound(text: &str) -> usize {
    // A table lookup per byte (cheaper than testing a 128-bit mask).
    text.bytes()
        .map(|b| usize::from(OPENS[usize::from(b)]))
        .sum()
}

/// The bytes [`depth_bound`] counts.
const OPENER_BYTES: &[u8] = b"({\"`iwufcs";

/// `OPENS[b]` is 1 for the bytes of [`OPENER_BYTES`], else 0.
const OPENS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < OPENER_BYTES.len() {
        table[OPENER_BYTES[i] as usize] = 1;
        i += 1;
    }
    table
};

/// Maximum nesting depth estimate of `text`.
pub(crate) fn depth(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut keywords = 0usize;
    let mut backquotes = 0usize;
    let mut max = 0usize;
    let mut i = 0;
    let mut word_start = true;
    while let Some(&b) = bytes.get(i) {
        let at_word_start = word_start;
        word_start = matches!(
            b,
            b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' | b'(' | b')' | b'{' | b'}'
        );
        let in_double = stack.last() == Some(&Frame::Double);
        match b {
            b'\\' => {
                i += 2;
                continue;
            }
            b'\'' if !in_double => {
                // `$'…'` honours backslash escapes; plain '…' does not.
                let ansi = i > 0 && bytes.get(i - 1) == Some(&b'$');
                i += 1;
                while let Some(&c) = bytes.get(i) {
                    if ansi && c == b'\\' {
                        i += 2;
                        continue;
                    }
                    if c == b'\'' {
                        break;
                    }
                    i += 1;
                }
            }
            b'"' if in_double => {
                stack.pop();
            }
            b'"' => stack.push(Frame::Double),
            b'`' => {
                backquotes = if backquotes.is_multiple_of(2) {
                    backquotes + 1
                } else {
                    backquotes - 1
                }
            }
            b'(' if !in_double || (i > 0 && bytes.get(i - 1) == Some(&b'$')) => {
                stack.push(Frame::Paren)
            }
            b'{' if !in_double || (i > 0 && bytes.get(i - 1) == Some(&b'$')) => {
                stack.push(Frame::Brace)
            }
            b')' if stack.last() == Some(&Frame::Paren) => {
                stack.pop();
            }
            b'}' if stack.last() == Some(&Frame::Brace) => {
                stack.pop();
            }
            b'#' if at_word_start && !in_double => {
                while let Some(&c) = bytes.get(i) {
                    if c == b'\n' {
                        break;
                    }
                    i += 1;
                }
            }
            b'a'..=b'z' if at_word_start && !in_double => {
                let end = bytes.get(i..).map_or(0, |rest| {
                    rest.iter().take_while(|c| c.is_ascii_lowercase()).count()
                });
                match text.get(i..i + end).unwrap_or("") {
                    "if" | "while" | "until" | "for" | "case" | "select" => keywords += 1,
                    "fi" | "done" | "esac" => keywords = keywords.saturating_sub(1),
                    _ => {}
                }
                i += end.max(1);
                max = max.max(stack.len() + keywords + backquotes);
                continue;
            }
            _ => {}
        }
        max = max.max(stack.len() + keywords + backquotes);
        i += 1;
    }
    max
}

/// Whether `text` holds `<<` anywhere (a byte scan: cheaper than a substring search on the
/// short texts this runs on).
pub(crate) fn has_here_operator(text: &str) -> bool {
    let bytes = text.as_bytes();
    // Most texts have no `<` at all: a word-at-a-time search settles that.
    if !bytes.contains(&b'<') {
        return false;
    }
    bytes
        .iter()
        .zip(bytes.iter().skip(1))
        .any(|(&a, &b)| a == b'<' && b == b'<')
}

/// Whether `text` ends inside an open quote, substitution, expansion, group or here-document.
///
/// brush-parser 0.4 can loop forever (allocating without bound) on some such inputs when a
/// here-document operator is involved (`$(<< \t`, `<<$(  `); bash rejects them all as syntax
/// errors, so guard reports them unparsed. Errs towards "terminated": the caller still runs the
/// real parser on anything this lets through.
pub(crate) fn unterminated(text: &str) -> bool {
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum F {
        Double,
        Paren,
        Brace,
        Bracket,
        Backquote,
    }
    let bytes = text.as_bytes();
    let mut stack: Vec<F> = Vec::new();
    let mut pending: Vec<(String, bool)> = Vec::new();
    let mut i = 0;
    let mut word_start = true;
    while let Some(&b) = bytes.get(i) {
        let at_word_start = word_start;
        // Only after a blank or a list operator does `#` open a comment (erring towards
        // scanning on, which can only report more as unterminated).
        word_start = matches!(b, b' ' | b'\t' | b'\n' | b';' | b'&' | b'|');
        let top = stack.last().copied();
        let in_double = top == Some(F::Double);
        let prev_dollar = i > 0 && bytes.get(i - 1) == Some(&b'$');
        match b {
            b'\\' => {
                i += 2;
                continue;
            }
            b'\'' if !in_double => {
                let ansi = prev_dollar;
                i += 1;
                loop {
                    match bytes.get(i) {
                        None => return true,
                        Some(b'\\') if ansi => i += 2,
                        Some(b'\'') => break,
                        Some(_) => i += 1,
                    }
                }
            }
            b'"' if in_double => {
                stack.pop();
            }
            b'"' => stack.push(F::Double),
            b'`' if top == Some(F::Backquote) => {
                stack.pop();
            }
            b'`' => stack.push(F::Backquote),
            b'(' if !in_double || prev_dollar => stack.push(F::Paren),
            b')' if top == Some(F::Paren) => {
                stack.pop();
            }
            b'{' if prev_dollar
                || (!in_double
                    && at_word_start
                    && bytes.get(i + 1).is_some_and(u8::is_ascii_whitespace)) =>
            {
                stack.push(F::Brace);
            }
            b'}' if top == Some(F::Brace) => {
                stack.pop();
            }
            b'[' if prev_dollar => stack.push(F::Bracket),
            b']' if top == Some(F::Bracket) => {
                stack.pop();
            }
            b'#' if at_word_start && !in_double => {
                while bytes.get(i).is_some_and(|c| *c != b'\n') {
                    i += 1;
                }
                continue;
            }
            b'<' if !in_double && bytes.get(i + 1) == Some(&b'<') => {
                if bytes.get(i + 2) == Some(&b'<') {
                    i += 3;
                    continue;
                }
                i += 2;
                let strip_tabs = bytes.get(i) == Some(&b'-');
                if strip_tabs {
                    i += 1;
                }
                while bytes.get(i).is_some_and(|c| *c == b' ' || *c == b'\t') {
                    i += 1;
                }
                let start = i;
                while bytes
                    .get(i)
                    .is_some_and(|c| !c.is_ascii_whitespace() && !b";|&<>()".contains(c))
                {
                    i += 1;
                }
                let word: String = text
                    .get(start..i)
                    .unwrap_or("")
                    .chars()
                    .filter(|c| !matches!(c, '\'' | '"' | '\\'))
                    .collect();
                if word.is_empty() {
                    return true;
                }
                pending.push((word, strip_tabs));
                continue;
            }
            b'\n' if !in_double && !pending.is_empty() => {
                i += 1;
                for (delimiter, strip_tabs) in std::mem::take(&mut pending) {
                    loop {
                        let Some(rest) = text.get(i..) else {
                            return true;
                        };
                        if rest.is_empty() {
                            return true;
                        }
                        let line_end = rest.find('\n').map_or(rest.len(), |n| n);
                        let line = rest.get(..line_end).unwrap_or("");
                        let line = if strip_tabs {
                            line.trim_start_matches('\t')
                        } else {
                            line
                        };
                        i += line_end + 1;
                        if line == delimiter {
                            break;
                        }
                    }
                }
                word_start = true;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    !stack.is_empty() || !pending.is_empty()
}

#[cfg(test)]
mod tests {
    use super::{depth, depth_bound, unterminated};

    /// `depth_bound` as it was first written, with a 128-bit mask.
    fn depth_bound_reference(text: &str) -> usize {
        const fn bit(b: u8) -> u128 {
            1 << b
        }
        const OPENERS: u128 = bit(b'(')
            | bit(b'{')
            | bit(b'"')
            | bit(b'`')
            | bit(b'i')
            | bit(b'w')
            | bit(b'u')
            | bit(b'f')
            | bit(b'c')
            | bit(b's');
        text.bytes()
            .filter(|&b| b < 128 && (OPENERS >> b) & 1 == 1)
            .count()
    }

    #[test]
    fn depth_bound_table_agrees_with_the_mask() {
        for b in 0..=255u8 {
            let text = String::from_utf8_lossy(&[b, b'x', b]).into_owned();
            assert_eq!(depth_bound(&text), depth_bound_reference(&text), "{b}");
        }
        let all: String = (0..=0x7fu8).map(char::from).chain("é€😀".chars()).collect();
        assert_eq!(depth_bound(&all), depth_bound_reference(&all));
        assert_eq!(depth_bound(&all), 10);
    }

    #[test]
    fn finds_unterminated_constructs_around_here_documents() {
        for open in [
            "$(<< \t",
            "<<$(  ",
            "echo \"a",
            "echo 'a",
            "cat <<EOF\nbody",
            "x $[",
            "a <<",
            "${a",
        ] {
            assert!(unterminated(open), "{open:?}");
        }
        for closed in [
            "echo $(cat <<EOF\nit's (here\nEOF\n)",
            "cat <<-'EOF'\n\tdon't\n\tEOF",
            "echo {a,b} a{",
            "case x in a) ;; esac",
            "echo \"$(ls)\" # (",
            "cat <<< \"x\"",
        ] {
            assert!(!unterminated(closed), "{closed:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn the_here_operator_test_is_a_substring_test(text in "[<a é]{0,12}") {
            proptest::prop_assert_eq!(super::has_here_operator(&text), text.contains("<<"));
        }
    }

    #[test]
    fn the_bound_is_never_below_the_depth() {
        for text in [
            "echo hi",
            "echo $(a $(b))",
            "if true; then while x; do for a in b; do case c in *) select s in t; do :; done;; esac; done; done; fi",
            "until `a` \"$(b)\" { c; }",
            "echo '(((('",
            "((((((((((((((((((((((((((((((",
            "\"\"\"\"\"\"\"\"\"",
            "`````",
        ] {
            assert!(depth_bound(text) >= depth(text), "{text:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn the_bound_is_never_below_the_depth_on_any_text(
            text in "[ (){}\"'`$\\;&|#\na-z]{0,64}|((if|while|until|for|case|select|fi|done|esac|\\$\\(|\\(|\\{|`|\"|'| |;|x)){0,40}"
        ) {
            proptest::prop_assert!(depth_bound(&text) >= depth(&text));
        }
    }

    #[test]
    fn counts_nesting_and_ignores_single_quotes() {
        assert_eq!(depth("echo hi"), 0);
        assert_eq!(depth("echo $(a $(b))"), 2);
        assert_eq!(depth("echo '(((('"), 0);
        assert!(depth(&"{ ".repeat(50)) >= 50);
        assert!(depth(&"if true; then ".repeat(30)) >= 30);
        // Quoted closers do not lower the estimate.
        assert!(depth(&"{ echo \")\"; ".repeat(40)) >= 40);
        // Balanced parentheses inside quotes do not add up.
        assert!(depth(&"psql -c \"select (1) + (2)\" ".repeat(200)) < 4);
    }
}
