//! The stable codes of every syntax diagnostic (`GS0xx`). A code is never reused or renumbered:
//! retired codes stay listed with their summary. `lang/diagnostics.md` is checked against
//! [`CODES`].

use guard_diagnostics::codes;

codes! {
    /// An operand was expected: `when stmt.kind ==` with nothing after it.
    EXPECTED_EXPRESSION = "GS001", "guard::syntax::expected-expression",
        "an expression was expected here";
    /// A specific token was expected: `rule x deny on sql` (missing `:`).
    EXPECTED_TOKEN = "GS002", "guard::syntax::expected-token",
        "a specific token or keyword was expected here";
    /// A `"` with no closing quote on the same line.
    UNTERMINATED_STRING = "GS003", "guard::syntax::unterminated-string",
        "a string literal is not closed before the end of its line";
    /// `\q` inside a string.
    INVALID_ESCAPE = "GS004", "guard::syntax::invalid-escape",
        "a backslash escape that the language does not define";
    /// A character that starts no token: `$`, `&&`, `'`.
    UNEXPECTED_CHARACTER = "GS005", "guard::syntax::unexpected-character",
        "characters that are not part of the language";
    /// The file does not declare its module.
    MISSING_MODULE = "GS006", "guard::syntax::missing-module",
        "a file must start with `module <name>`";
    /// A second `module`, or one after other items.
    MISPLACED_MODULE = "GS007", "guard::syntax::misplaced-module",
        "`module` must be the first item and appear once";
    /// Something other than an item at the top level.
    EXPECTED_ITEM = "GS008", "guard::syntax::expected-item",
        "only `module`, `use`, `default`, `set`, `def`, `rule` and `test` may start an item";
    /// `rule x: block on sql`.
    UNKNOWN_EFFECT = "GS009", "guard::syntax::unknown-effect",
        "effects are `deny`, `require_approval`, `warn` and `allow`";
    /// `whn …` inside a rule.
    UNKNOWN_CLAUSE = "GS010", "guard::syntax::unknown-clause",
        "rule clauses are `when`, `unless`, `message`, `help`, `control` and `mode`";
    /// Two `message`, `help` or `mode` clauses in one rule.
    DUPLICATE_CLAUSE = "GS011", "guard::syntax::duplicate-clause",
        "`message`, `help` and `mode` may appear at most once in a rule";
    /// `mode strict`.
    UNKNOWN_MODE = "GS012", "guard::syntax::unknown-mode",
        "a rule's mode is `enforce` or `audit`";
    /// `re"…"` anywhere but on the right of `matches`.
    REGEX_OUTSIDE_MATCHES = "GS013", "guard::syntax::regex-outside-matches",
        "regex literals are only valid on the right of `matches`";
    /// Expressions nested deeper than `MAX_DEPTH`.
    NESTING_TOO_DEEP = "GS014", "guard::syntax::nesting-too-deep",
        "an expression is nested deeper than the parser allows";
    /// An integer literal outside the signed 64-bit range.
    INTEGER_TOO_LARGE = "GS015", "guard::syntax::integer-too-large",
        "integer literals must fit in a signed 64-bit integer";
    /// A reserved keyword where a name is expected: `set and = {…}`.
    RESERVED_WORD = "GS016", "guard::syntax::reserved-word",
        "a reserved keyword cannot be used as a name";
    /// `a == b == c`.
    CHAINED_COMPARISON = "GS017", "guard::syntax::chained-comparison",
        "comparison operators do not chain; parenthesise or join with `and`";
    /// A `{` in a message without its `}`, or a lone `}`.
    UNBALANCED_TEMPLATE_BRACE = "GS018", "guard::syntax::unbalanced-template-brace",
        "a `{` in a message or help text is not closed, or a `}` is not opened";
    /// `{}` or `{  }` in a message.
    EMPTY_INTERPOLATION = "GS019", "guard::syntax::empty-interpolation",
        "an interpolation `{…}` holds no expression";
    /// A `///` doc comment with no item after it, or before an item that takes none.
    DANGLING_DOC_COMMENT = "GS020", "guard::syntax::dangling-doc-comment",
        "a doc comment does not precede a `module`, `set`, `def`, `rule` or `test`";
    /// A test case that does not start with `sql` or `shell`.
    UNKNOWN_CHANNEL = "GS021", "guard::syntax::unknown-channel",
        "a test case starts with its channel, `sql` or `shell`";
    /// `on prod on staging` in one test case.
    DUPLICATE_CASE_OPTION = "GS022", "guard::syntax::duplicate-case-option",
        "each test case option (`on`, `dialect`, `as`, `groups`, `labels`) may appear once";
    /// `(`, `{` or `[` with no closing partner.
    UNCLOSED_DELIMITER = "GS023", "guard::syntax::unclosed-delimiter",
        "an opening bracket or brace is never closed";
    /// `envv production` in a test case.
    UNKNOWN_CASE_OPTION = "GS024", "guard::syntax::unknown-case-option",
        "test case options are `on`, `dialect`, `as`, `groups` and `labels`";
    /// `default warn`.
    INVALID_DEFAULT = "GS025", "guard::syntax::invalid-default",
        "a bundle's default is `allow` or `deny`";
    /// The parser stopped reporting after too many errors in one file.
    TOO_MANY_ERRORS = "GS026", "guard::syntax::too-many-errors",
        "the file has so many syntax errors that the rest were not reported";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_numbered_in_order_and_named_uniquely() {
        for (i, code) in CODES.iter().enumerate() {
            assert_eq!(code.id, format!("GS{:03}", i + 1));
            assert!(code.name.starts_with("guard::syntax::"), "{}", code.name);
            assert!(!code.summary.ends_with('.'), "{}", code.summary);
        }
        let mut names: Vec<&str> = CODES.iter().map(|c| c.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CODES.len());
    }
}
