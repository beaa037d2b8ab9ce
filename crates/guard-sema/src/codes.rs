//! The diagnostic codes of semantic analysis. Ids are `GT` + three digits, stable and never
//! reused; names are `guard::<area>::<kebab-case>`. Errors are `GT001`–`GT099`, lints
//! (warnings) `GT100` and up. `lang/diagnostics.md` is checked against [`CODES`].

use guard_diagnostics::codes;

codes! {
    UNKNOWN_MODULE = "GT001", "guard::module::unknown-module", "a `use` (or a test's `by`) names a module that no checked file declares";
    DUPLICATE_MODULE = "GT002", "guard::module::duplicate-module", "two files declare the same module";
    MODULE_CYCLE = "GT003", "guard::module::cycle", "modules import each other in a cycle";
    DUPLICATE_ALIAS = "GT004", "guard::module::duplicate-alias", "two `use` declarations of one module bind the same name";
    UNKNOWN_NAME = "GT005", "guard::name::unknown-name", "a name is not a quantifier variable, set, def, field or enum variant";
    UNKNOWN_FIELD = "GT006", "guard::type::unknown-field", "a path starts with a schema root but names no field of it";
    FIELD_NOT_AVAILABLE = "GT007", "guard::type::field-not-available", "a field is read where its action kind is not in scope";
    UNKNOWN_VARIANT = "GT008", "guard::type::unknown-variant", "a name is not a variant of the enum its context expects";
    TYPE_MISMATCH = "GT009", "guard::type::mismatch", "the two sides of `==` or `!=` have different types, or are not scalars";
    ELEMENT_MISMATCH = "GT010", "guard::type::element-mismatch", "the left of `in` differs from the element type of the collection on its right";
    ORDERING_NOT_INT = "GT011", "guard::type::ordering-not-int", "`<`, `<=`, `>` or `>=` compares something other than two ints";
    INVALID_MATCHES = "GT012", "guard::type::invalid-matches", "`matches` needs a string on its left and a glob or `re\"…\"` literal on its right";
    INVALID_GLOB = "GT013", "guard::pattern::invalid-glob", "a glob literal does not compile";
    INVALID_REGEX = "GT014", "guard::pattern::invalid-regex", "a regex literal does not compile";
    EXPECTED_BOOL = "GT015", "guard::type::expected-bool", "a condition, def body or boolean operand is not a `bool`";
    UNKNOWN_FUNCTION = "GT016", "guard::name::unknown-function", "a call names no built-in function";
    WRONG_ARITY = "GT017", "guard::type::wrong-arity", "a built-in function is called with the wrong number of arguments";
    ARGUMENT_TYPE = "GT018", "guard::type::argument-type", "a built-in function's argument has the wrong type";
    MIXED_COLLECTION = "GT019", "guard::type::mixed-collection", "a set or list literal holds elements of different types, or a collection";
    NOT_A_COLLECTION = "GT020", "guard::type::not-a-collection", "a quantifier or `in` is given something other than a list or set";
    DEF_CYCLE = "GT021", "guard::def::cycle", "defs refer to each other in a cycle";
    DUPLICATE_RULE = "GT022", "guard::name::duplicate-rule", "two rules of one module have the same name";
    DUPLICATE_DEFINITION = "GT023", "guard::name::duplicate-definition", "two sets or defs of one module have the same name";
    DUPLICATE_TEST = "GT024", "guard::name::duplicate-test", "two tests of one module have the same name";
    UNKNOWN_RULE = "GT025", "guard::test::unknown-rule", "a test case's `by` names no rule";
    UNKNOWN_DIALECT = "GT026", "guard::test::unknown-dialect", "a test case's `dialect` is not a known SQL dialect";
    UNKNOWN_ACTOR_KIND = "GT027", "guard::test::unknown-actor-kind", "a test case's `as` is not a known actor kind";
    MISSING_DEFAULT = "GT028", "guard::module::missing-default", "no checked module declares `default allow` or `default deny`";
    DUPLICATE_DEFAULT = "GT029", "guard::module::duplicate-default", "more than one `default` is declared across the checked modules";
    MISSING_MESSAGE = "GT030", "guard::rule::missing-message", "a rule has no `message`";
    UNKNOWN_ACTION_KIND = "GT031", "guard::rule::unknown-action-kind", "a rule's or def's `on` is not an action kind or `request`";
    DEF_SCOPE = "GT032", "guard::def::scope-mismatch", "a def declared `on` one action kind is used where another kind (or the request) is checked";
    INVALID_SET = "GT033", "guard::type::invalid-set", "a `set` is not a non-empty literal of constants, or an empty set has no type";
    AMBIGUOUS_VARIANT = "GT034", "guard::type::ambiguous-variant", "a bare enum variant belongs to several enums and nothing says which";
    SHADOWED_NAME = "GT035", "guard::name::shadowed", "a quantifier variable hides a schema root, set, def or outer variable";
    ALIAS_SHADOWS_ROOT = "GT036", "guard::module::alias-shadows-root", "a `use` binds a name that is also a schema root";
    NOT_A_VALUE = "GT037", "guard::type::not-a-value", "a record root, module name or quantifier variable is used where a value is needed";
    IMPOSSIBLE_EXPECTATION = "GT038", "guard::test::impossible-expectation", "a test case expects a rule to decide with an effect that rule cannot give";
    TOO_DEEP = "GT039", "guard::type::too-deep", "an expression is nested deeper than the checker accepts";
    UNUSED_SET = "GT100", "guard::lint::unused-set", "a `set` is never used";
    UNUSED_DEF = "GT101", "guard::lint::unused-def", "a `def` is never used";
    NEVER_MATCHES = "GT102", "guard::lint::never-matches", "a rule's condition is constant false, so it can never match";
    ALWAYS_TRUE = "GT103", "guard::lint::always-true", "a `when` condition is constant true and can be removed";
    UNLESS_NEVER_HOLDS = "GT104", "guard::lint::unless-never-holds", "an `unless` condition is constant false and never excuses anything";
    UNUSED_USE = "GT105", "guard::lint::unused-use", "a `use` binds a module that nothing in the importing module reads";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_sorted_and_well_formed() {
        let mut previous = "";
        for code in CODES {
            assert!(
                code.id.starts_with("GT") && code.id.len() == 5,
                "{}",
                code.id
            );
            assert!(code.id > previous, "{} out of order", code.id);
            previous = code.id;
            assert!(code.name.starts_with("guard::"), "{}", code.name);
            assert!(!code.summary.ends_with('.'), "{}", code.id);
        }
        let mut names: Vec<&str> = CODES.iter().map(|c| c.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CODES.len());
    }
}
