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
        word_start = matches!(b, b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' | b'(' | b')' | b'{' | b'}');
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
            b'`' => backquotes = if backquotes % 2 == 0 { backquotes + 1 } else { backquotes - 1 },
            b'(' if !in_double || (i > 0 && bytes.get(i - 1) == Some(&b'$')) => stack.push(Frame::Paren),
            b'{' if !in_double || (i > 0 && bytes.get(i - 1) == Some(&b'$')) => stack.push(Frame::Brace),
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
                let end = bytes.get(i..).map_or(0, |rest| rest.iter().take_while(|c| c.is_ascii_lowercase()).count());
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

#[cfg(test)]
mod tests {
    use super::depth;

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
