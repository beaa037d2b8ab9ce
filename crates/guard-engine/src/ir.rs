//! The IR: a compiled policy made for evaluation.
//!
//! Two layers:
//! - [`PolicyData`] is plain data — interned strings, constant sets, glob/regex pattern text,
//!   an expression arena and rules. It is what `guard-compile` produces (through
//!   [`PolicyBuilder`]) and what a bundle stores.
//! - [`Policy`] is a validated `PolicyData` plus what is derived from it at load time: sets as
//!   hash sets (strings, ints) and bit masks (enum variants), globs (syntax-checked at load)
//!   and regexes (compiled on first use), the rule index by action kind, the per-rule plan
//!   (request-invariant guards cached per request, string tests looked up once per action)
//!   and the rule prefilter ([`crate::prefilter`]). It is built only by [`Policy::new`], so
//!   every `Policy` is valid.
//!
//! Invariants of a valid policy (checked by [`Policy::new`], so a bundle cannot break them):
//! - Expressions live in one arena ([`PolicyData::nodes`]); a node's children have smaller ids.
//!   The expression graph is therefore acyclic, and its depth is at most [`MAX_DEPTH`], which
//!   bounds the evaluator's recursion. Decoding a bundle never recurses over its data.
//! - Every id (string, set, pattern, node, quantifier slot) is in range, every set is sorted
//!   and duplicate-free (one canonical encoding per policy), every glob parses, and rule ids
//!   are unique. Regexes are checked when first compiled: one that does not compile makes
//!   the decision of every request evaluating it `error` (fail closed), never a match or a
//!   non-match. [`Policy::check_patterns`] checks them all at once, for tools.
//! - Nothing is typed at run time: the type checker guarantees operand types; should a bundle
//!   still combine mismatched values, the operation is `false` (or the empty value), never an
//!   error. Evaluation is total.

use std::fmt;
use std::sync::OnceLock;

use guard_model::schema::{EnumType, Scope};
use guard_model::{ActionKind, Effect, Field, Mode};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use crate::names;
use crate::prefilter::{NeedleSet, Prefilter, Reduced};

/// The deepest expression a policy may contain (node depth, root = 1).
pub const MAX_DEPTH: usize = 64;
/// Quantifier variables live in slots `0..MAX_LOCALS` (one per nesting level).
pub const MAX_LOCALS: usize = 16;

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub struct $name(pub u32);

        impl $name {
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

id_type!(
    /// An interned string in [`PolicyData::strings`].
    StrId
);
id_type!(
    /// A constant set in [`PolicyData::sets`].
    SetId
);
id_type!(
    /// A glob or regex in [`PolicyData::patterns`].
    PatternId
);
id_type!(
    /// An expression node in [`PolicyData::nodes`].
    ExprId
);

/// An enum constant: a variant of one of the schema's enums. Stored in bundles by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EnumValue {
    pub ty: EnumType,
    pub index: u16,
}

impl EnumValue {
    /// The variant of `ty` named `name` (`statement_kind`, `drop`).
    pub fn named(ty: EnumType, name: &str) -> Option<EnumValue> {
        names::variant_index(ty, name).map(|index| EnumValue { ty, index })
    }

    pub fn name(self) -> &'static str {
        names::variant_name(self.ty, self.index)
    }
}

impl Serialize for EnumValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (self.ty.name(), self.name()).serialize(s)
    }
}

impl<'de> Deserialize<'de> for EnumValue {
    /// The pair `(type, variant)`, read without allocating either name.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Pair;
        impl<'de> serde::de::Visitor<'de> for Pair {
            type Value = EnumValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an enum type and variant name")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<EnumValue, A::Error> {
                use serde::de::Error;
                let ty = seq
                    .next_element_seed(names::NameSeed {
                        what: "enum type",
                        lookup: names::enum_type,
                    })?
                    .ok_or_else(|| A::Error::invalid_length(0, &self))?;
                seq.next_element_seed(names::NameSeed {
                    what: "variant",
                    lookup: |name: &str| EnumValue::named(ty, name),
                })?
                .ok_or_else(|| A::Error::invalid_length(1, &self))
            }
        }
        d.deserialize_tuple(2, Pair)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Quantifier {
    Any,
    All,
}

/// The language's built-in functions: defined once in `guard-model`, shared with the checker.
pub use guard_model::Builtin;

/// A node's list of children: up to four inline (most lists; the shipped library has 24 longer
/// ones in 684), so decoding a node allocates only for a long list. Encoded as a sequence,
/// exactly as a `Vec` is.
pub type Children = smallvec::SmallVec<[ExprId; 4]>;

/// One expression node. Children are [`ExprId`]s of earlier nodes.
///
/// The variant order is part of the bundle format: append only, and bump
/// [`crate::bundle::FORMAT_VERSION`] for any other change.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Node {
    Bool(bool),
    Int(i64),
    Str(StrId),
    Enum(EnumValue),
    /// A field of the request or the current action.
    Field(#[serde(with = "names::serde_field")] Field),
    /// The value bound to a quantifier variable.
    Local(u16),
    /// A constant set, as a value (`in`, quantifiers, `len`, interpolation).
    Set(SetId),
    /// A list literal whose elements are not all constants (`[target.env, "x"]`).
    List(Children),
    Not(ExprId),
    /// Short-circuit conjunction; `And([])` is true.
    And(Children),
    /// Short-circuit disjunction; `Or([])` is false.
    Or(Children),
    Compare {
        op: CmpOp,
        lhs: ExprId,
        rhs: ExprId,
    },
    /// `item in collection` (`negated`: `not in`); the collection is a set, list or list field.
    In {
        item: ExprId,
        collection: ExprId,
        negated: bool,
    },
    /// `subject matches "glob"` / `subject matches re"regex"`.
    Matches {
        subject: ExprId,
        pattern: PatternId,
    },
    Call {
        builtin: Builtin,
        args: Children,
    },
    /// `any x in over: body` / `all …`: binds each element of `over` to slot `slot`.
    Quantified {
        quantifier: Quantifier,
        slot: u16,
        over: ExprId,
        body: ExprId,
    },
}

impl Node {
    /// The node's children, in evaluation order.
    pub fn children(&self) -> impl Iterator<Item = ExprId> + '_ {
        let (many, [first, second]) = self.child_parts();
        ChildIds {
            many: many.iter(),
            first,
            second,
        }
    }

    /// The node's children as a slice followed by up to two more, in evaluation order.
    fn child_parts(&self) -> (&[ExprId], [Option<ExprId>; 2]) {
        match self {
            Node::Bool(_)
            | Node::Int(_)
            | Node::Str(_)
            | Node::Enum(_)
            | Node::Field(_)
            | Node::Local(_)
            | Node::Set(_) => (&[], [None, None]),
            Node::List(items) | Node::And(items) | Node::Or(items) => (items, [None, None]),
            Node::Call { args, .. } => (args, [None, None]),
            Node::Not(e) | Node::Matches { subject: e, .. } => (&[], [Some(*e), None]),
            Node::Compare { lhs, rhs, .. } => (&[], [Some(*lhs), Some(*rhs)]),
            Node::In {
                item, collection, ..
            } => (&[], [Some(*item), Some(*collection)]),
            Node::Quantified { over, body, .. } => (&[], [Some(*over), Some(*body)]),
        }
    }
}

/// [`Node::children`]: a node's list of children, then its up to two fixed ones. A plain
/// struct instead of `chain(flatten)`: validation, the plan and the prefilter walk every
/// node's children, and the generic adapters cost about twice as much per child.
struct ChildIds<'a> {
    many: std::slice::Iter<'a, ExprId>,
    first: Option<ExprId>,
    second: Option<ExprId>,
}

impl Iterator for ChildIds<'_> {
    type Item = ExprId;

    #[inline]
    fn next(&mut self) -> Option<ExprId> {
        match self.many.next() {
            Some(id) => Some(*id),
            None => self.first.take().or_else(|| self.second.take()),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.many.len()
            + usize::from(self.first.is_some())
            + usize::from(self.second.is_some());
        (n, Some(n))
    }
}

/// The policy's interned strings ([`PolicyData::strings`]), in one buffer: a bundle has a
/// couple of thousand, and one allocation each was the decoder's largest cost after hashing.
/// Serialised exactly as a `Vec<String>`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Strings {
    text: String,
    /// Where each string is in `text` (start and end: one lookup per read, as the evaluation
    /// plan reads them often).
    spans: Vec<[u32; 2]>,
}

impl Strings {
    pub fn new() -> Strings {
        Strings::default()
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// String `i`, if there is one.
    #[inline]
    pub fn get(&self, i: usize) -> Option<&str> {
        let [start, end] = *self.spans.get(i)?;
        self.text.get(start as usize..end as usize)
    }

    /// Appends a string; its index is the old [`Self::len`].
    pub fn push(&mut self, text: &str) {
        let start = len_u32(self.text.len());
        self.text.push_str(text);
        self.spans.push([start, len_u32(self.text.len())]);
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.get(i).unwrap_or(""))
    }
}

impl std::ops::Index<usize> for Strings {
    type Output = str;

    /// String `i`; `""` when out of range (never for an id of a valid policy).
    fn index(&self, i: usize) -> &str {
        self.get(i).unwrap_or("")
    }
}

impl<S: AsRef<str>> FromIterator<S> for Strings {
    fn from_iter<I: IntoIterator<Item = S>>(items: I) -> Strings {
        let mut strings = Strings::new();
        for s in items {
            strings.push(s.as_ref());
        }
        strings
    }
}

impl fmt::Debug for Strings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for Strings {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Strings {
    /// Appends each string's bytes to one buffer as it is read (no `String` per item), then
    /// checks the buffer is UTF-8 once and that every string starts and ends on a character
    /// boundary, so each string is UTF-8 on its own. Checking each of the couple of thousand
    /// short strings separately was six times slower. postcard encodes a `str` and a byte
    /// string alike.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Strings, D::Error> {
        struct Append<'a>(&'a mut Vec<u8>, &'a mut Vec<[u32; 2]>);
        impl<'de> serde::de::DeserializeSeed<'de> for Append<'_> {
            type Value = ();
            fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
                d.deserialize_bytes(self)
            }
        }
        impl serde::de::Visitor<'_> for Append<'_> {
            type Value = ();
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_bytes<E: serde::de::Error>(self, bytes: &[u8]) -> Result<(), E> {
                let start = u32::try_from(self.0.len());
                self.0.extend_from_slice(bytes);
                match (start, u32::try_from(self.0.len())) {
                    (Ok(start), Ok(end)) => {
                        self.1.push([start, end]);
                        Ok(())
                    }
                    _ => Err(E::custom("strings longer than 4 GiB")),
                }
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<(), E> {
                self.visit_bytes(text.as_bytes())
            }
        }
        struct Seq;
        impl<'de> serde::de::Visitor<'de> for Seq {
            type Value = Strings;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sequence of strings")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Strings, A::Error> {
                // The hint comes from the input: cap what it can reserve.
                let count = seq.size_hint().unwrap_or(0).min(1 << 16);
                let mut spans = Vec::with_capacity(count);
                // Sixteen bytes a string (the shipped library averages 15.5): growing the
                // buffer from empty was a dozen reallocations, each copying what was read.
                let mut bytes = Vec::with_capacity(count * 16);
                while seq
                    .next_element_seed(Append(&mut bytes, &mut spans))?
                    .is_some()
                {}
                let not_utf8 = || serde::de::Error::custom("an interned string is not UTF-8");
                let text = String::from_utf8(bytes).map_err(|_| not_utf8())?;
                if !spans
                    .iter()
                    .flatten()
                    .all(|at| text.is_char_boundary(*at as usize))
                {
                    return Err(not_utf8());
                }
                Ok(Strings { text, spans })
            }
        }
        d.deserialize_seq(Seq)
    }
}

/// A constant set. Items are sorted and unique (strings by their text).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SetData {
    Str(Vec<StrId>),
    Int(Vec<i64>),
    Enum(
        #[serde(with = "names::serde_enum_type")] EnumType,
        Vec<EnumValue>,
    ),
}

/// A glob or regex, stored as its source text; compiled on first use (at most once per loaded
/// policy). Globs are syntax-checked at load, regexes when compiled (see [`Policy::new`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Pattern {
    /// `*` (any run of characters, `/` included), `?`, `[…]`, `{a,b}`; `\` escapes. Matches
    /// the whole subject, case-sensitively.
    Glob(String),
    /// Rust `regex` syntax, unanchored.
    Regex(String),
}

impl Pattern {
    pub fn text(&self) -> &str {
        match self {
            Pattern::Glob(t) | Pattern::Regex(t) => t,
        }
    }

    /// Checks the pattern's syntax without compiling it (cheap: no automaton is built), and
    /// returns the matcher right away when it is a plain string test. [`Policy::new`] uses
    /// this; full compilation happens on first use.
    pub fn check(&self) -> Result<Option<Matcher>, IrError> {
        match self {
            Pattern::Glob(text) => {
                globset::GlobBuilder::new(text)
                    .literal_separator(false)
                    .backslash_escape(true)
                    .build()
                    .map_err(|e| IrError::BadPattern {
                        pattern: text.clone(),
                        message: e.kind().to_string(),
                    })?;
                Ok(simple_glob(text))
            }
            // The same parser (and defaults: Unicode, UTF-8, nest limit) `regex` uses.
            Pattern::Regex(text) => regex_syntax::Parser::new()
                .parse(text)
                .map(|_| None)
                .map_err(|e| IrError::BadPattern {
                    pattern: text.clone(),
                    message: e.to_string(),
                }),
        }
    }

    /// What [`Policy::new`] checks at load: a glob's syntax (cheap), returning the matcher
    /// right away when it is a plain string test. Regexes are not checked here: parsing the
    /// shipped library's 70 regexes was more than half of a bundle load. A regex that does not
    /// compile is found on first use, and the decision of every request that evaluates it is
    /// then `error` (never an allow; see `eval`), so a bad bundle fails closed.
    fn check_at_load(&self) -> Result<Option<Matcher>, IrError> {
        match self {
            Pattern::Glob(text) => match simple_glob(text) {
                // Only a leading and a trailing `*` around plain text: always a valid glob
                // (`simple_globs_agree_with_globset`).
                Some(simple) => Ok(Some(simple)),
                None => self.check(),
            },
            Pattern::Regex(_) => Ok(None),
        }
    }

    /// Compiles the pattern; the only place globs and regexes are compiled.
    pub fn compile(&self) -> Result<Matcher, IrError> {
        match self {
            Pattern::Glob(text) => {
                let bad = |message: String| IrError::BadPattern {
                    pattern: text.clone(),
                    message,
                };
                let glob = globset::GlobBuilder::new(text)
                    .literal_separator(false)
                    .backslash_escape(true)
                    .build()
                    .map_err(|e| bad(e.kind().to_string()))?;
                if let Some(simple) = simple_glob(text) {
                    return Ok(simple);
                }
                // globset's own matcher builds a path `Candidate` (an allocation) per call;
                // its anchored regex on the string's bytes gives the same answer without one.
                regex::bytes::RegexBuilder::new(glob.regex())
                    .size_limit(1 << 20)
                    .build()
                    .map(Matcher::Glob)
                    .map_err(|e| bad(e.to_string()))
            }
            Pattern::Regex(text) => regex::RegexBuilder::new(text)
                .size_limit(1 << 20)
                .build()
                .map(|r| Matcher::Regex(r, crate::prefilter::LiteralScreen::of_regex(text)))
                .map_err(|e| IrError::BadPattern {
                    pattern: text.clone(),
                    message: e.to_string(),
                }),
        }
    }
}

/// A compiled [`Pattern`]. Globs whose only wildcards are a leading and/or trailing `*` (most
/// of them: `billing.*`, `*.internal`, `prod-*`) become plain string tests.
#[derive(Debug, Clone)]
pub enum Matcher {
    Glob(regex::bytes::Regex),
    /// A regex, with the literals every match starts with when there are a few (checked
    /// first: most subjects have none of them, and that is cheaper than the regex).
    Regex(regex::Regex, Option<Box<crate::prefilter::LiteralScreen>>),
    /// A glob without wildcards.
    Literal(String),
    /// `text*`.
    Prefix(String),
    /// `*text`.
    Suffix(String),
    /// `*text*`.
    Contains(String),
}

impl Matcher {
    pub fn is_match(&self, text: &str) -> bool {
        match self {
            Matcher::Glob(g) => g.is_match(text.as_bytes()),
            Matcher::Regex(r, screen) => {
                screen.as_ref().is_none_or(|s| s.admits(text.as_bytes())) && r.is_match(text)
            }
            Matcher::Literal(l) => text == l,
            Matcher::Prefix(p) => text.starts_with(p.as_str()),
            Matcher::Suffix(p) => text.ends_with(p.as_str()),
            Matcher::Contains(p) => text.contains(p.as_str()),
        }
    }
}

/// The string test equivalent to a glob whose only wildcards are a leading and/or trailing
/// `*` (`*` matches any run of characters, `/` included), else `None`.
pub(crate) fn simple_glob(glob: &str) -> Option<Matcher> {
    let (shape, inner) = simple_glob_parts(glob)?;
    let inner = inner.to_string();
    Some(match shape {
        GlobShape::Literal => Matcher::Literal(inner),
        GlobShape::Prefix => Matcher::Prefix(inner),
        GlobShape::Suffix => Matcher::Suffix(inner),
        GlobShape::Contains => Matcher::Contains(inner),
    })
}

/// The string tests a simple glob can be (see [`simple_glob`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GlobShape {
    Literal,
    Prefix,
    Suffix,
    Contains,
}

/// [`simple_glob`] without allocating: the shape and the text around the `*`s.
pub(crate) fn simple_glob_parts(glob: &str) -> Option<(GlobShape, &str)> {
    let leading = glob.starts_with('*');
    let rest = glob.strip_prefix('*').unwrap_or(glob);
    let trailing = rest.ends_with('*');
    let inner = rest.strip_suffix('*').unwrap_or(rest);
    if inner.contains(['*', '?', '[', ']', '{', '}', '\\']) {
        return None;
    }
    Some((
        match (leading, trailing) {
            (false, false) => GlobShape::Literal,
            (false, true) => GlobShape::Prefix,
            (true, false) => GlobShape::Suffix,
            (true, true) => GlobShape::Contains,
        },
        inner,
    ))
}

/// One piece of a message or help template.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Part {
    Text(StrId),
    /// Interpolated: scalars as text, enums by variant name, lists and sets joined by `, `.
    Expr(ExprId),
}

/// A template's parts: up to four inline (213 of the shipped library's 262 templates),
/// so decoding a rule mostly allocates nothing for them. Encoded as a sequence,
/// exactly as a `Vec` is.
pub type Parts = smallvec::SmallVec<[Part; 4]>;

/// A message or help text, pre-split into literal text and expressions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Template {
    pub parts: Parts,
}

impl Template {
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }
}

/// Where a rule was written: a file of the bundle's source map and a byte range in it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SourceLoc {
    pub file: u32,
    pub span: [u32; 2],
}

/// One compiled rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// `module.rule`, unique in the policy.
    pub id: String,
    /// The doc comment, lines joined by `\n`.
    pub doc: String,
    #[serde(with = "names::serde_effect")]
    pub effect: Effect,
    #[serde(with = "names::serde_mode")]
    pub mode: Mode,
    /// The action kind it applies to; `None` = `on request`.
    #[serde(with = "names::serde_target")]
    pub on: Option<ActionKind>,
    /// `when` and `not unless`, already combined: the rule matches when this is true.
    pub condition: ExprId,
    pub message: Template,
    /// Empty when the rule has no help.
    pub help: Template,
    pub controls: Vec<String>,
    pub source: SourceLoc,
}

impl Rule {
    /// `sql`, `exec`, …, or `request`.
    pub fn target_name(&self) -> &'static str {
        self.on.map_or("request", ActionKind::name)
    }
}

/// A compiled policy as plain data (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyData {
    /// The decision when no enforced rule matches.
    #[serde(with = "names::serde_effect")]
    pub default: Effect,
    pub strings: Strings,
    pub sets: Vec<SetData>,
    pub patterns: Vec<Pattern>,
    pub nodes: Vec<Node>,
    /// In the order matches are reported.
    pub rules: Vec<Rule>,
}

/// Why a [`PolicyData`] is not a valid policy. From a correct compiler this never happens; from
/// a bundle it means the bundle is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IrError {
    #[error("{what} {id} is out of range")]
    OutOfRange { what: &'static str, id: u32 },
    #[error("node {node} refers to node {child}, which is not an earlier node")]
    ForwardReference { node: u32, child: u32 },
    #[error("node {node} nests deeper than {MAX_DEPTH} levels")]
    TooDeep { node: u32 },
    #[error("node {node} uses quantifier slot {slot}; slots are limited to {MAX_LOCALS}")]
    BadSlot { node: u32, slot: u16 },
    #[error("call to `{builtin}` at node {node} has {got} arguments, expected {expected}")]
    BadArity {
        node: u32,
        builtin: &'static str,
        got: usize,
        expected: usize,
    },
    #[error("set {set} is not sorted and duplicate-free")]
    UnsortedSet { set: u32 },
    #[error("set {set} mixes enum types")]
    MixedSet { set: u32 },
    #[error("invalid pattern `{pattern}`: {message}")]
    BadPattern { pattern: String, message: String },
    #[error("rule id `{id}` is used twice")]
    DuplicateRule { id: String },
}

/// A constant set prepared for membership tests.
#[derive(Debug, Clone)]
pub(crate) enum SetLookup {
    Str(StrSet),
    Int(FxHashSet<i64>),
    /// Enum indices as a bit mask (every schema enum has fewer than 128 variants).
    Enum(EnumType, u128),
}

/// A constant string set for membership tests: the items' text in one buffer and an
/// open-addressing table (Fx hash, linear probing, at most half full). Each slot holds the
/// item's index and the high half of its hash, so a miss rarely touches the text. Two
/// allocations per set instead of one per item, which was a tenth of a bundle load.
#[derive(Debug, Clone)]
pub(crate) struct StrSet {
    /// The items, concatenated.
    text: Box<str>,
    /// `n` item ends in `text` (item `i` starts where item `i - 1` ends), then the table: a
    /// power of two of slots, each `hash >> 32 << 32 | index` or [`StrSet::EMPTY`].
    index: Box<[u64]>,
    n: usize,
}

impl StrSet {
    const EMPTY: u64 = u64::MAX;

    /// The set of `items` (distinct; order is kept for item indices).
    fn new(items: &[&str]) -> StrSet {
        let n = items.len();
        let table_len = if n == 0 {
            0
        } else {
            (2 * n).next_power_of_two()
        };
        let mask = table_len.wrapping_sub(1);
        let mut text = String::with_capacity(items.iter().map(|s| s.len()).sum());
        let mut index = Vec::with_capacity(n + table_len);
        for item in items {
            text.push_str(item);
            index.push(text.len() as u64);
        }
        index.resize(n + table_len, StrSet::EMPTY);
        for (i, item) in items.iter().enumerate() {
            let hash = StrSet::hash(item);
            let mut at = hash as usize & mask;
            while index.get(n + at).is_some_and(|k| *k != StrSet::EMPTY) {
                at = (at + 1) & mask;
            }
            if let Some(slot) = index.get_mut(n + at) {
                *slot = (hash & !0xffff_ffff) | u64::from(len_u32(i));
            }
        }
        StrSet {
            text: text.into_boxed_str(),
            index: index.into_boxed_slice(),
            n,
        }
    }

    fn hash(text: &str) -> u64 {
        use std::hash::Hasher;
        let mut h = rustc_hash::FxHasher::default();
        h.write(text.as_bytes());
        h.finish()
    }

    fn item(&self, i: usize) -> Option<&str> {
        let start = match i.checked_sub(1) {
            Some(p) => *self.index.get(p)? as usize,
            None => 0,
        };
        let end = *self.index.get(..self.n)?.get(i)? as usize;
        self.text.get(start..end)
    }

    #[inline]
    pub(crate) fn contains(&self, text: &str) -> bool {
        self.position(text).is_some()
    }

    /// The index of item `text` (its place in the items [`Self::new`] was given).
    #[inline]
    pub(crate) fn position(&self, text: &str) -> Option<usize> {
        let slots = self.index.get(self.n..).unwrap_or(&[]);
        if slots.is_empty() {
            return None;
        }
        let mask = slots.len() - 1;
        let hash = StrSet::hash(text);
        let tag = hash & !0xffff_ffff;
        let mut at = hash as usize & mask;
        // At most half the slots are full, so an empty one ends every probe.
        loop {
            match slots.get(at) {
                Some(&k) if k != StrSet::EMPTY => {
                    let i = (k & 0xffff_ffff) as usize;
                    if k & !0xffff_ffff == tag && self.item(i) == Some(text) {
                        return Some(i);
                    }
                    at = (at + 1) & mask;
                }
                _ => return None,
            }
        }
    }
}

/// At most this many [`Discriminator`]s (fields) per policy: the evaluator keeps their
/// per-action results in a fixed array.
pub(crate) const MAX_DISCRIMINATORS: usize = 8;

/// No per-request cache slot (see [`Policy::cache_slot`]).
pub(crate) const NO_SLOT: u32 = u32::MAX;

/// A rule's condition as conjuncts: the ones that read only request-level fields and
/// constants (`guards`, the same for every action of a request, and cached per request) and
/// the others (`rest`). The rule matches when all of both are true.
#[derive(Debug, Clone, Default)]
pub(crate) struct RulePlan {
    pub(crate) guards: Box<[ExprId]>,
    pub(crate) rest: Box<[ExprId]>,
    /// A [`Discriminator`] (by index in [`Policy::discriminators`]) one of whose sets is a
    /// conjunct of the condition: when the action's value is not in it, the rule cannot match.
    pub(crate) discriminator: Option<usize>,
}

/// An action field that many conditions test against constant strings as a top-level
/// conjunct (`exec.program in {…}`, `exec.program == "dd"`, or an `or` of such tests): one
/// lookup per action tells which of those rules can still match.
#[derive(Debug, Clone)]
pub(crate) struct Discriminator {
    pub(crate) field: Field,
    /// The string values some rule tests (value `i` is item `i`).
    values: StrSet,
    /// Per value, in `values`' order, `words` words: a bit set over rule indices of the rules
    /// whose test it passes. One buffer for all (it was two allocations per value, a fifth of
    /// the plan's build).
    bits: Box<[u64]>,
    words: usize,
}

impl Discriminator {
    /// The bit set of the rules whose test `value` passes; `None` when no rule tests it.
    #[inline]
    pub(crate) fn rules_for(&self, value: &str) -> Option<&[u64]> {
        let i = self.values.position(value)?;
        self.bits.get(i * self.words..(i + 1) * self.words)
    }
}

/// What evaluation derives from a validated policy: request-invariant guards and their cache
/// slots, string discriminators and the rule prefilter (see [`plan`] and [`crate::prefilter`]).
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// Per node: its slot in the per-request cache of request-invariant conditions
    /// ([`NO_SLOT`] when it has none).
    pub(crate) cache_slot: Vec<u32>,
    /// Where the per-action slots start (the ones before are per request; the per-action ones
    /// are cleared for each action).
    pub(crate) action_slots: usize,
    /// How many cache slots there are.
    pub(crate) cache_slots: usize,
    /// Per rule: its condition split into request-invariant and other conjuncts.
    pub(crate) plans: Vec<RulePlan>,
    pub(crate) discriminators: Vec<Discriminator>,
    /// Which rules can match an action, from cheap facts about it.
    pub(crate) prefilter: Prefilter,
    /// Per node: its index in `needle_sets` when it is a quantifier of the shape
    /// [`set_quantifier`] recognises; [`crate::eval::fused::FUSED`] plus its index in `fused`
    /// when it quantifies over a field (and may be fused); else [`NO_SLOT`].
    pub(crate) needle_at: Vec<u32>,
    /// The subject and the set's needles of those quantifiers.
    pub(crate) needle_sets: Vec<(ExprId, NeedleSet)>,
    /// The quantifiers over list fields whose body only tests the bound value against
    /// constants, evaluated as one loop ([`crate::eval::fused`]).
    pub(crate) fused: crate::eval::fused::Fused,
    /// Per rule, the text its matches share ([`crate::eval::RuleText`]).
    pub(crate) texts: Vec<crate::eval::RuleText>,
}

/// A validated, ready-to-evaluate policy. See the module docs for its invariants.
#[derive(Debug, Clone)]
pub struct Policy {
    data: PolicyData,
    pub(crate) lookups: Vec<SetLookup>,
    /// One per pattern, compiled on first use (syntax is checked at load).
    matchers: Vec<OnceLock<Option<Matcher>>>,
    /// The evaluation plan, derived from `data` on first evaluation (it was a third of a
    /// bundle load) or by [`Self::prepare`].
    plan: OnceLock<Plan>,
    /// The prefilter's reduction of `data` as a bundle stored it (validated against `data`):
    /// the plan builds the prefilter from it instead of reducing. `None`: the plan reduces.
    reduced: Option<Reduced>,
    /// Rule indices per `ActionKind::index()`, in rule order.
    pub(crate) by_kind: Vec<Vec<u32>>,
    pub(crate) on_request: Vec<u32>,
}

impl Policy {
    /// Validates `data` and prepares it for evaluation: checks globs, builds set lookups, the
    /// rule index, the rule plans and the prefilter.
    ///
    /// Globs are syntax-checked here (a bad one is an error). Patterns are compiled on first
    /// use, so loading stays cheap; a regex that does not compile is an `error` decision for
    /// every request that evaluates it (see [`Self::check_patterns`] to find it up front).
    pub fn new(data: PolicyData) -> Result<Policy, IrError> {
        Policy::build(data, None)
    }

    /// [`Policy::new`], with `compiled` (when given: one matcher per pattern, in order)
    /// already compiled by [`PolicyBuilder`].
    fn build(data: PolicyData, compiled: Option<Vec<Matcher>>) -> Result<Policy, IrError> {
        let string = |id: StrId| -> Result<&str, IrError> {
            data.strings.get(id.index()).ok_or(IrError::OutOfRange {
                what: "string",
                id: id.0,
            })
        };

        let mut lookups = Vec::with_capacity(data.sets.len());
        // One buffer for every string set's texts.
        let mut texts: Vec<&str> = Vec::new();
        for (i, set) in data.sets.iter().enumerate() {
            let set_no = u32::try_from(i).unwrap_or(u32::MAX);
            let unsorted = IrError::UnsortedSet { set: set_no };
            let lookup = match set {
                SetData::Str(items) => {
                    texts.clear();
                    for id in items {
                        let text = string(*id)?;
                        if texts.last().is_some_and(|p| *p >= text) {
                            return Err(unsorted);
                        }
                        texts.push(text);
                    }
                    SetLookup::Str(StrSet::new(&texts))
                }
                SetData::Int(items) => {
                    if !items.windows(2).all(|w| w.first() < w.get(1)) {
                        return Err(unsorted);
                    }
                    SetLookup::Int(items.iter().copied().collect())
                }
                SetData::Enum(ty, items) => {
                    if !items.windows(2).all(|w| w.first() < w.get(1)) {
                        return Err(unsorted);
                    }
                    let mut mask = 0u128;
                    for v in items {
                        if v.ty != *ty {
                            return Err(IrError::MixedSet { set: set_no });
                        }
                        if usize::from(v.index) >= names::variant_count(*ty) || v.index >= 128 {
                            return Err(IrError::OutOfRange {
                                what: "enum variant",
                                id: u32::from(v.index),
                            });
                        }
                        mask |= 1u128 << v.index;
                    }
                    SetLookup::Enum(*ty, mask)
                }
            };
            lookups.push(lookup);
        }

        let matchers = match compiled {
            Some(compiled) if compiled.len() == data.patterns.len() => compiled
                .into_iter()
                .map(|m| OnceLock::from(Some(m)))
                .collect(),
            _ => data
                .patterns
                .iter()
                .map(|p| {
                    p.check_at_load().map(|simple| match simple {
                        Some(m) => OnceLock::from(Some(m)),
                        None => OnceLock::new(),
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
        };

        let mut depth = vec![0usize; data.nodes.len()];
        for (i, node) in data.nodes.iter().enumerate() {
            let node_no = u32::try_from(i).unwrap_or(u32::MAX);
            let mut d = 1;
            for child in node.children() {
                if child.index() >= i {
                    return Err(IrError::ForwardReference {
                        node: node_no,
                        child: child.0,
                    });
                }
                d = d.max(depth.get(child.index()).copied().unwrap_or(0) + 1);
            }
            if d > MAX_DEPTH {
                return Err(IrError::TooDeep { node: node_no });
            }
            if let Some(slot) = depth.get_mut(i) {
                *slot = d;
            }
            match node {
                Node::Str(id) => {
                    string(*id)?;
                }
                Node::Enum(v) if usize::from(v.index) >= names::variant_count(v.ty) => {
                    return Err(IrError::OutOfRange {
                        what: "enum variant",
                        id: u32::from(v.index),
                    });
                }
                Node::Set(id) if id.index() >= data.sets.len() => {
                    return Err(IrError::OutOfRange {
                        what: "set",
                        id: id.0,
                    });
                }
                Node::Matches { pattern, .. } if pattern.index() >= data.patterns.len() => {
                    return Err(IrError::OutOfRange {
                        what: "pattern",
                        id: pattern.0,
                    });
                }
                Node::Local(slot) | Node::Quantified { slot, .. }
                    if usize::from(*slot) >= MAX_LOCALS =>
                {
                    return Err(IrError::BadSlot {
                        node: node_no,
                        slot: *slot,
                    });
                }
                Node::Call { builtin, args } if args.len() != builtin.arity() => {
                    return Err(IrError::BadArity {
                        node: node_no,
                        builtin: builtin.name(),
                        got: args.len(),
                        expected: builtin.arity(),
                    });
                }
                _ => {}
            }
        }

        let node_in_range = |id: ExprId| {
            if id.index() < data.nodes.len() {
                Ok(())
            } else {
                Err(IrError::OutOfRange {
                    what: "node",
                    id: id.0,
                })
            }
        };
        let mut by_kind = vec![Vec::new(); ActionKind::ALL.len()];
        let mut on_request = Vec::new();
        let mut seen = FxHashSet::default();
        for (i, rule) in data.rules.iter().enumerate() {
            if !seen.insert(rule.id.as_str()) {
                return Err(IrError::DuplicateRule {
                    id: rule.id.clone(),
                });
            }
            node_in_range(rule.condition)?;
            for part in rule.message.parts.iter().chain(&rule.help.parts) {
                match part {
                    Part::Text(id) => {
                        string(*id)?;
                    }
                    Part::Expr(id) => node_in_range(*id)?,
                }
            }
            let index = u32::try_from(i).unwrap_or(u32::MAX);
            match rule.on {
                Some(kind) => {
                    if let Some(list) = by_kind.get_mut(usize::from(kind.index())) {
                        list.push(index);
                    }
                }
                None => on_request.push(index),
            }
        }

        Ok(Policy {
            data,
            lookups,
            matchers,
            plan: OnceLock::new(),
            reduced: None,
            by_kind,
            on_request,
        })
    }

    /// Builds now what evaluation otherwise builds on first use (the plan: request guards,
    /// discriminators, the rule prefilter), so the first decision is as fast as the others.
    /// Patterns still compile on first use.
    pub fn prepare(&self) {
        self.plan();
    }

    /// The evaluation plan, built on first use (deterministic: the same for every thread).
    pub(crate) fn plan(&self) -> &Plan {
        self.plan.get_or_init(|| {
            let (cache_slot, action_slots, cache_slots, plans, discriminators, free_locals) =
                plan(&self.data);
            let mut needle_at = vec![NO_SLOT; self.data.nodes.len()];
            let mut needle_sets = Vec::new();
            let mut fused = crate::eval::fused::Fused::default();
            for (i, node) in self.data.nodes.iter().enumerate() {
                if !matches!(node, Node::Quantified { .. }) {
                    continue;
                }
                let id = ExprId(len_u32(i));
                let Some((builtin, subject, set)) = set_quantifier(&self.data, &free_locals, id)
                else {
                    if let Some(at) = fused.add(&self.data, id)
                        && let Some(slot) = needle_at.get_mut(i)
                    {
                        *slot = at;
                    }
                    continue;
                };
                let Some(SetData::Str(items)) = self.data.sets.get(set.index()) else {
                    continue;
                };
                let needles = items.iter().map(|s| self.string(*s));
                if let (Some(at), Some(needles)) =
                    (needle_at.get_mut(i), NeedleSet::new(builtin, needles))
                {
                    *at = len_u32(needle_sets.len());
                    needle_sets.push((subject, needles));
                }
            }
            Plan {
                fused,
                needle_at,
                needle_sets,
                cache_slot,
                action_slots,
                cache_slots,
                plans,
                discriminators,
                prefilter: match &self.reduced {
                    Some(reduced) => Prefilter::from_reduced(&self.data, reduced),
                    None => Prefilter::new(&self.data),
                },
                texts: crate::eval::rule_texts(self),
            }
        })
    }

    /// The policy with the prefilter's reduction of its data as a bundle stored it, checked
    /// for ranges and bounds ([`Reduced::validate`]) but not recomputed: the plan builds the
    /// prefilter from it. Before the plan is built only.
    pub(crate) fn with_reduction(mut self, reduced: Reduced) -> Result<Policy, String> {
        reduced.validate(&self.data)?;
        self.reduced = Some(reduced);
        self.plan = OnceLock::new();
        Ok(self)
    }

    /// The reduction [`Self::with_reduction`] stored, if any.
    pub(crate) fn stored_reduction(&self) -> Option<&Reduced> {
        self.reduced.as_ref()
    }

    /// The rule prefilter (part of the plan).
    pub(crate) fn prefilter(&self) -> &Prefilter {
        &self.plan().prefilter
    }

    /// Compiles every pattern now (each at most once per policy): the first that does not
    /// compile is an error. Loading does not do this (see [`Self::new`]); tools that inspect
    /// a bundle may.
    pub fn check_patterns(&self) -> Result<(), IrError> {
        for (i, pattern) in self.data.patterns.iter().enumerate() {
            if self.matcher(PatternId(len_u32(i))).is_none() {
                return Err(match pattern.compile() {
                    Err(e) => e,
                    Ok(_) => IrError::OutOfRange {
                        what: "pattern",
                        id: len_u32(i),
                    },
                });
            }
        }
        Ok(())
    }

    /// The compiled matcher of a pattern, compiled now if this is its first use. `None` for
    /// an unknown id or (never from a correct compiler) a pattern that does not compile: the
    /// evaluator turns that into an `error` decision.
    pub(crate) fn matcher(&self, id: PatternId) -> Option<&Matcher> {
        let cell = self.matchers.get(id.index())?;
        cell.get_or_init(|| self.data.patterns.get(id.index())?.compile().ok())
            .as_ref()
    }

    /// The rules that apply to actions of `kind` (`None`: the `on request` rules), in order,
    /// with their index in [`Self::rules`].
    pub(crate) fn indexed_rules_on(
        &self,
        kind: Option<ActionKind>,
    ) -> impl Iterator<Item = (usize, &Rule)> + '_ {
        let indices: &[u32] = match kind {
            Some(k) => self
                .by_kind
                .get(usize::from(k.index()))
                .map_or(&[], Vec::as_slice),
            None => &self.on_request,
        };
        indices.iter().filter_map(|i| {
            let i = *i as usize;
            self.data.rules.get(i).map(|r| (i, r))
        })
    }

    pub fn data(&self) -> &PolicyData {
        &self.data
    }

    pub fn into_data(self) -> PolicyData {
        self.data
    }

    pub fn default_effect(&self) -> Effect {
        self.data.default
    }

    /// Every rule, in match-report order.
    pub fn rules(&self) -> &[Rule] {
        &self.data.rules
    }

    /// The rules that apply to actions of `kind` (`None`: the `on request` rules), in order.
    pub fn rules_on(&self, kind: Option<ActionKind>) -> impl Iterator<Item = &Rule> + '_ {
        let indices: &[u32] = match kind {
            Some(k) => self
                .by_kind
                .get(usize::from(k.index()))
                .map_or(&[], Vec::as_slice),
            None => &self.on_request,
        };
        indices
            .iter()
            .filter_map(|i| self.data.rules.get(*i as usize))
    }

    pub fn string(&self, id: StrId) -> &str {
        self.data.strings.get(id.index()).unwrap_or("")
    }

    /// The names the policy needs from the schema (fields, enum variants, action kinds),
    /// sorted: a bundle lists them so a loader can name what it does not know.
    pub fn schema_names(&self) -> Vec<String> {
        self.schema_name_parts()
            .iter()
            .map(|parts| parts.concat())
            .collect()
    }

    /// Whether `names` is exactly [`Self::schema_names`], checked without building it:
    /// `names` is strictly increasing (so sorted as the list is, and duplicate-free), each
    /// name is the canonical spelling of what it resolves to (`refs`, one per name, from
    /// [`resolve_schema_name`]), and the resolved names, as a set, are the policy's. Compared
    /// as small integers: sorting and searching the names as text was a twelfth of a decode.
    pub(crate) fn schema_names_are(&self, names: &Strings, refs: &[SchemaRef]) -> bool {
        if names.len() != refs.len()
            || !names.iter().zip(names.iter().skip(1)).all(|(a, b)| a < b)
            || !names
                .iter()
                .zip(refs)
                .all(|(name, r)| name_bytes(&r.parts()).eq(name.bytes()))
        {
            return false;
        }
        let mut ours = self.schema_refs_unordered();
        ours.sort_unstable();
        ours.dedup();
        let mut theirs = refs.to_vec();
        theirs.sort_unstable();
        ours == theirs
    }

    /// [`Self::schema_names`], each name in pieces to concatenate (`["field:", path, "", ""]`,
    /// `["enum:", type, ".", variant]`), sorted and deduplicated as the joined strings.
    fn schema_name_parts(&self) -> Vec<[&'static str; 4]> {
        let mut parts = self.schema_name_parts_unordered();
        dedup_parts(&mut parts);
        parts.sort_unstable_by(|a, b| name_bytes(a).cmp(name_bytes(b)));
        parts.dedup_by(|a, b| name_bytes(a).eq(name_bytes(b)));
        parts
    }

    /// The pieces of every schema name the policy uses, each once, in no useful order.
    fn schema_name_parts_unordered(&self) -> Vec<[&'static str; 4]> {
        self.schema_refs_unordered()
            .iter()
            .map(SchemaRef::parts)
            .collect()
    }

    /// Every schema reference the policy makes, each once, in no useful order. Many nodes
    /// read the same field: the repeats are dropped as small integers, not as text.
    fn schema_refs_unordered(&self) -> Vec<SchemaRef> {
        let mut fields: Vec<Field> = Vec::new();
        let mut variants: Vec<EnumValue> = Vec::new();
        let mut enums: Vec<EnumType> = Vec::new();
        let mut kinds: Vec<u16> = Vec::new();
        for node in &self.data.nodes {
            match node {
                Node::Field(f) => fields.push(*f),
                Node::Enum(v) => variants.push(*v),
                _ => {}
            }
        }
        for set in &self.data.sets {
            if let SetData::Enum(ty, items) = set {
                enums.push(*ty);
                variants.extend(items.iter().copied());
            }
        }
        kinds.extend(
            self.data
                .rules
                .iter()
                .filter_map(|r| r.on.map(|k| k.index())),
        );
        fields.sort_unstable();
        fields.dedup();
        variants.sort_unstable();
        variants.dedup();
        enums.sort_unstable();
        enums.dedup();
        kinds.sort_unstable();
        kinds.dedup();
        let mut refs =
            Vec::with_capacity(fields.len() + variants.len() + enums.len() + kinds.len());
        refs.extend(fields.into_iter().map(SchemaRef::Field));
        refs.extend(variants.into_iter().map(SchemaRef::Variant));
        refs.extend(enums.into_iter().map(SchemaRef::Enum));
        refs.extend(
            kinds
                .iter()
                .filter_map(|k| ActionKind::ALL.get(usize::from(*k)))
                .map(|k| SchemaRef::Kind(*k)),
        );
        refs
    }
}

/// What a schema name ([`Policy::schema_names`]) names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum SchemaRef {
    Field(Field),
    Variant(EnumValue),
    Enum(EnumType),
    Kind(ActionKind),
}

impl SchemaRef {
    /// The name in pieces to concatenate (`["field:", path, "", ""]`,
    /// `["enum:", type, ".", variant]`).
    fn parts(&self) -> [&'static str; 4] {
        match self {
            SchemaRef::Field(f) => ["field:", f.def().path, "", ""],
            SchemaRef::Variant(v) => ["enum:", v.ty.name(), ".", v.name()],
            SchemaRef::Enum(t) => ["enum:", t.name(), "", ""],
            SchemaRef::Kind(k) => ["kind:", k.name(), "", ""],
        }
    }
}

/// Sorts schema name pieces and drops repeats (two variants' names could be equal text).
fn dedup_parts(parts: &mut Vec<[&'static str; 4]>) {
    parts.sort_unstable();
    parts.dedup();
}

/// The bytes of a schema name given in pieces (see [`Policy::schema_name_parts`]).
fn name_bytes<'a>(parts: &'a [&'static str; 4]) -> impl Iterator<Item = u8> + 'a {
    parts.iter().flat_map(|p| p.bytes())
}

/// Whether a schema name from [`Policy::schema_names`] is known to this engine.
pub fn schema_name_known(name: &str) -> bool {
    resolve_schema_name(name).is_some()
}

/// What a schema name names, when this engine knows it.
pub(crate) fn resolve_schema_name(name: &str) -> Option<SchemaRef> {
    match name.split_once(':')? {
        ("field", path) => names::field(path).map(SchemaRef::Field),
        ("kind", kind) => ActionKind::from_name(kind).map(SchemaRef::Kind),
        ("enum", rest) => match rest.split_once('.') {
            Some((ty, variant)) => {
                let ty = names::enum_type(ty)?;
                let index = names::variant_index(ty, variant)?;
                Some(SchemaRef::Variant(EnumValue { ty, index }))
            }
            None => names::enum_type(rest).map(SchemaRef::Enum),
        },
        _ => None,
    }
}

/// A piece of a template given to [`PolicyBuilder::template`].
#[derive(Debug, Clone, Copy)]
pub enum TemplatePiece<'a> {
    Text(&'a str),
    Expr(ExprId),
}

/// Builds a [`PolicyData`] with interned strings and deduplicated sets and patterns, so that
/// the same input always gives the same data (and so the same bundle bytes).
#[derive(Debug, Clone)]
pub struct PolicyBuilder {
    data: PolicyData,
    strings: FxHashMap<String, StrId>,
    sets: FxHashMap<SetData, SetId>,
    patterns: FxHashMap<Pattern, PatternId>,
    /// `data.patterns`, compiled (so [`Self::finish`] does not compile them again).
    matchers: Vec<Matcher>,
}

impl PolicyBuilder {
    pub fn new(default: Effect) -> PolicyBuilder {
        PolicyBuilder {
            data: PolicyData {
                default,
                strings: Strings::new(),
                sets: Vec::new(),
                patterns: Vec::new(),
                nodes: Vec::new(),
                rules: Vec::new(),
            },
            strings: FxHashMap::default(),
            sets: FxHashMap::default(),
            patterns: FxHashMap::default(),
            matchers: Vec::new(),
        }
    }

    pub fn intern(&mut self, text: &str) -> StrId {
        if let Some(id) = self.strings.get(text) {
            return *id;
        }
        let id = StrId(len_u32(self.data.strings.len()));
        self.data.strings.push(text);
        self.strings.insert(text.to_string(), id);
        id
    }

    /// Appends a node. Children must be ids returned earlier (checked by [`Self::finish`]).
    pub fn node(&mut self, node: Node) -> ExprId {
        let id = ExprId(len_u32(self.data.nodes.len()));
        self.data.nodes.push(node);
        id
    }

    pub fn bool(&mut self, value: bool) -> ExprId {
        self.node(Node::Bool(value))
    }

    pub fn int(&mut self, value: i64) -> ExprId {
        self.node(Node::Int(value))
    }

    pub fn str(&mut self, text: &str) -> ExprId {
        let id = self.intern(text);
        self.node(Node::Str(id))
    }

    pub fn enum_value(&mut self, value: EnumValue) -> ExprId {
        self.node(Node::Enum(value))
    }

    pub fn field(&mut self, field: Field) -> ExprId {
        self.node(Node::Field(field))
    }

    pub fn local(&mut self, slot: u16) -> ExprId {
        self.node(Node::Local(slot))
    }

    pub fn not(&mut self, e: ExprId) -> ExprId {
        self.node(Node::Not(e))
    }

    pub fn and(&mut self, items: Vec<ExprId>) -> ExprId {
        self.node(Node::And(Children::from_vec(items)))
    }

    pub fn or(&mut self, items: Vec<ExprId>) -> ExprId {
        self.node(Node::Or(Children::from_vec(items)))
    }

    pub fn compare(&mut self, op: CmpOp, lhs: ExprId, rhs: ExprId) -> ExprId {
        self.node(Node::Compare { op, lhs, rhs })
    }

    pub fn is_in(&mut self, item: ExprId, collection: ExprId, negated: bool) -> ExprId {
        self.node(Node::In {
            item,
            collection,
            negated,
        })
    }

    pub fn call(&mut self, builtin: Builtin, args: Vec<ExprId>) -> ExprId {
        self.node(Node::Call {
            builtin,
            args: Children::from_vec(args),
        })
    }

    pub fn quantified(
        &mut self,
        quantifier: Quantifier,
        slot: u16,
        over: ExprId,
        body: ExprId,
    ) -> ExprId {
        self.node(Node::Quantified {
            quantifier,
            slot,
            over,
            body,
        })
    }

    /// A constant set of strings, sorted and deduplicated.
    pub fn string_set<'a>(&mut self, items: impl IntoIterator<Item = &'a str>) -> SetId {
        let mut texts: Vec<&str> = items.into_iter().collect();
        texts.sort_unstable();
        texts.dedup();
        let ids = texts.into_iter().map(|t| self.intern(t)).collect();
        self.add_set(SetData::Str(ids))
    }

    pub fn int_set(&mut self, items: impl IntoIterator<Item = i64>) -> SetId {
        let mut items: Vec<i64> = items.into_iter().collect();
        items.sort_unstable();
        items.dedup();
        self.add_set(SetData::Int(items))
    }

    /// A constant set of variants of `ty` (values of another type are dropped).
    pub fn enum_set(&mut self, ty: EnumType, items: impl IntoIterator<Item = EnumValue>) -> SetId {
        let mut items: Vec<EnumValue> = items.into_iter().filter(|v| v.ty == ty).collect();
        items.sort_unstable();
        items.dedup();
        self.add_set(SetData::Enum(ty, items))
    }

    fn add_set(&mut self, set: SetData) -> SetId {
        if let Some(id) = self.sets.get(&set) {
            return *id;
        }
        let id = SetId(len_u32(self.data.sets.len()));
        self.data.sets.push(set.clone());
        self.sets.insert(set, id);
        id
    }

    /// A node holding the set.
    pub fn set(&mut self, set: SetId) -> ExprId {
        self.node(Node::Set(set))
    }

    /// Adds a pattern after checking it compiles.
    pub fn pattern(&mut self, pattern: Pattern) -> Result<PatternId, IrError> {
        if let Some(id) = self.patterns.get(&pattern) {
            return Ok(*id);
        }
        let matcher = pattern.compile()?;
        let id = PatternId(len_u32(self.data.patterns.len()));
        self.data.patterns.push(pattern.clone());
        self.matchers.push(matcher);
        self.patterns.insert(pattern, id);
        Ok(id)
    }

    /// `subject matches pattern`.
    pub fn matches(&mut self, subject: ExprId, pattern: Pattern) -> Result<ExprId, IrError> {
        let pattern = self.pattern(pattern)?;
        Ok(self.node(Node::Matches { subject, pattern }))
    }

    /// A template; adjacent text pieces are merged.
    pub fn template(&mut self, pieces: &[TemplatePiece<'_>]) -> Template {
        let mut parts = Parts::new();
        let mut text = String::new();
        for piece in pieces {
            match piece {
                TemplatePiece::Text(t) => text.push_str(t),
                TemplatePiece::Expr(e) => {
                    if !text.is_empty() {
                        parts.push(Part::Text(self.intern(&text)));
                        text.clear();
                    }
                    parts.push(Part::Expr(*e));
                }
            }
        }
        if !text.is_empty() {
            parts.push(Part::Text(self.intern(&text)));
        }
        Template { parts }
    }

    /// Appends a rule; rules are reported in the order they are added.
    pub fn rule(&mut self, rule: Rule) {
        self.data.rules.push(rule);
    }

    /// The data built so far (for inspection; [`Self::finish`] validates it).
    pub fn data(&self) -> &PolicyData {
        &self.data
    }

    pub fn finish(self) -> Result<Policy, IrError> {
        Policy::build(self.data, Some(self.matchers))
    }
}

/// Request-invariance analysis, done once per load.
///
/// A node is *request-invariant* when it reads no action field (only fields of
/// [`Scope::Everywhere`]: `request.*`, `actor.*`, `target.*`) and no quantifier variable bound
/// outside it: its value is the same for every action of one request. Returns:
/// - per node, a slot in the per-request cache for each maximal invariant boolean node (one
///   whose parent is not invariant, or a rule's invariant conjunct), else [`NO_SLOT`]; defs are
///   shared nodes, so a def like `config.protected` used by many rules has one slot;
/// - the number of slots;
/// - per rule, its condition's top-level conjuncts (nested `and`s flattened) split into
///   invariant guards and the rest (no guards: evaluate the condition as is).
///
/// `data`'s nodes must already be validated (children before parents, slots in range).
#[allow(clippy::type_complexity)]
fn plan(
    data: &PolicyData,
) -> (
    Vec<u32>,
    usize,
    usize,
    Vec<RulePlan>,
    Vec<Discriminator>,
    Vec<u32>,
) {
    let nodes = &data.nodes;
    // Per node: the quantifier slots it reads unbound (bit mask) and whether it reads an
    // action field.
    let mut free = vec![0u32; nodes.len()];
    let mut action = vec![false; nodes.len()];
    let bit = |slot: u16| 1u32.checked_shl(u32::from(slot)).unwrap_or(0);
    for (i, node) in nodes.iter().enumerate() {
        let of = |id: ExprId| {
            (
                free.get(id.index()).copied().unwrap_or(0),
                action.get(id.index()).copied().unwrap_or(true),
            )
        };
        let (f, a) = match node {
            Node::Field(field) => (0, !matches!(field.def().scope, Scope::Everywhere)),
            Node::Local(slot) => (bit(*slot), false),
            Node::Quantified {
                slot, over, body, ..
            } => {
                let (fo, ao) = of(*over);
                let (fb, ab) = of(*body);
                (fo | (fb & !bit(*slot)), ao || ab)
            }
            _ => node.children().fold((0, false), |(f, a), c| {
                let (fc, ac) = of(c);
                (f | fc, a || ac)
            }),
        };
        if let Some(x) = free.get_mut(i) {
            *x = f;
        }
        if let Some(x) = action.get_mut(i) {
            *x = a;
        }
    }
    let invariant =
        |id: ExprId| free.get(id.index()) == Some(&0) && action.get(id.index()) == Some(&false);
    // Boolean nodes worth caching (constants and plain field reads are not).
    let cacheable = |id: ExprId| {
        invariant(id)
            && matches!(
                nodes.get(id.index()),
                Some(
                    Node::Not(_)
                        | Node::And(_)
                        | Node::Or(_)
                        | Node::In { .. }
                        | Node::Compare { .. }
                        | Node::Matches { .. }
                        | Node::Quantified { .. }
                        | Node::Call {
                            builtin: Builtin::StartsWith | Builtin::EndsWith | Builtin::Contains,
                            ..
                        }
                )
            )
    };

    let mut cache_slot = vec![NO_SLOT; nodes.len()];
    let mut slots = 0u32;
    let mut assign = |id: ExprId, cache_slot: &mut Vec<u32>| {
        if let Some(s) = cache_slot.get_mut(id.index())
            && *s == NO_SLOT
            && cacheable(id)
        {
            *s = slots;
            slots += 1;
        }
    };
    // Invariant children evaluated as conditions inside a non-invariant node.
    for (i, node) in nodes.iter().enumerate() {
        let id = ExprId(len_u32(i));
        if invariant(id) {
            continue;
        }
        match node {
            Node::Not(e) => assign(*e, &mut cache_slot),
            Node::And(items) | Node::Or(items) => {
                for e in items {
                    assign(*e, &mut cache_slot);
                }
            }
            Node::Quantified { body, .. } => assign(*body, &mut cache_slot),
            _ => {}
        }
    }

    let words = data.rules.len().div_ceil(64);
    // Per discriminator while it is built: its field, its values in first-seen order with
    // their index, and their bit sets (`words` words per value, in that order).
    #[allow(clippy::type_complexity)]
    let mut discriminators: Vec<(Field, Vec<&str>, FxHashMap<&str, usize>, Vec<u64>)> = Vec::new();

    let mut plans = Vec::with_capacity(data.rules.len());
    // Scratch space reused across rules: one allocation each for the whole plan, and each
    // rule's conjuncts boxed at their exact size (only when it has guards: without them the
    // evaluator reads the condition as is).
    let (mut guards, mut rest, mut stack) = (Vec::new(), Vec::new(), Vec::new());
    let mut values: Vec<&str> = Vec::new();
    for (index, rule) in data.rules.iter().enumerate() {
        guards.clear();
        rest.clear();
        stack.clear();
        stack.push(rule.condition);
        while let Some(id) = stack.pop() {
            if invariant(id) {
                assign(id, &mut cache_slot);
                guards.push(id);
            } else if let Some(Node::And(items)) = nodes.get(id.index()) {
                stack.extend(items.iter().rev());
            } else {
                rest.push(id);
            }
        }
        let mut discriminator = None;
        // Only rules on an action kind have a discriminator: the others need no search.
        values.clear();
        let tested = rule.on.and_then(|_| {
            rest.iter()
                .find_map(|e| implied_strings(data, *e, &mut values))
        });
        if let Some(field) = tested {
            let at = match discriminators.iter().position(|d| d.0 == field) {
                Some(at) => at,
                // Beyond the evaluator's fixed table, a rule simply has no discriminator.
                None if discriminators.len() >= MAX_DISCRIMINATORS => usize::MAX,
                None => {
                    discriminators.push((field, Vec::new(), FxHashMap::default(), Vec::new()));
                    discriminators.len() - 1
                }
            };
            if let Some((_, order, position, bits)) = discriminators.get_mut(at) {
                for value in values.iter().copied() {
                    let i = *position.entry(value).or_insert_with(|| {
                        order.push(value);
                        bits.resize(bits.len() + words, 0);
                        order.len() - 1
                    });
                    if let Some(word) = bits.get_mut(i * words + index / 64) {
                        *word |= 1u64 << (index % 64);
                    }
                }
                discriminator = Some(at);
            }
        }
        plans.push(if guards.is_empty() {
            RulePlan {
                discriminator,
                ..RulePlan::default()
            }
        } else {
            RulePlan {
                guards: guards.as_slice().into(),
                rest: rest.as_slice().into(),
                discriminator,
            }
        });
    }
    // Per-action slots, after the request ones: conditions that read the action but no
    // outer quantifier variable and are shared (defs like `destroys_recursively`, used by
    // several rules), so they are decided once per action.
    let action_slots = slots;
    let mut refs = vec![0u32; nodes.len()];
    let roots = data.rules.iter().map(|r| r.condition);
    for child in nodes.iter().flat_map(Node::children).chain(roots) {
        if let Some(r) = refs.get_mut(child.index()) {
            *r += 1;
        }
    }
    for (i, node) in nodes.iter().enumerate() {
        let shared = refs.get(i).is_some_and(|r| *r >= 2);
        let closed = free.get(i) == Some(&0) && action.get(i) == Some(&true);
        let shape = matches!(
            node,
            Node::Not(_) | Node::And(_) | Node::Or(_) | Node::Quantified { .. }
        );
        if shared
            && closed
            && shape
            && let Some(s) = cache_slot.get_mut(i)
            && *s == NO_SLOT
        {
            *s = slots;
            slots += 1;
        }
    }

    let discriminators = discriminators
        .into_iter()
        .map(|(field, order, _, bits)| Discriminator {
            field,
            values: StrSet::new(&order),
            bits: bits.into(),
            words,
        })
        .collect();
    (
        cache_slot,
        action_slots as usize,
        slots as usize,
        plans,
        discriminators,
        free,
    )
}

/// An action field and the strings it must equal for condition `id` to be true, when the
/// condition implies one: `field in STRING_SET`, `field == "text"`, an `and` with such a
/// conjunct, or an `or` whose every branch implies one on the same field (the union).
/// Recursion follows the node depth, which [`Policy::new`] bounds.
///
/// The strings are appended to `out` (a buffer the plan reuses for every rule: a `Vec` per
/// call was a fifth of the plan's allocations); when the answer is `None`, `out` is left as
/// it was given.
fn implied_strings<'a>(data: &'a PolicyData, id: ExprId, out: &mut Vec<&'a str>) -> Option<Field> {
    let start = out.len();
    let found = implied_strings_into(data, id, out);
    if found.is_none() {
        out.truncate(start);
    }
    found
}

/// [`implied_strings`], which may leave strings in `out` when it returns `None`.
fn implied_strings_into<'a>(
    data: &'a PolicyData,
    id: ExprId,
    out: &mut Vec<&'a str>,
) -> Option<Field> {
    let nodes = &data.nodes;
    let string = |s: StrId| data.strings.get(s.index());
    let action_field = |id: &ExprId| match nodes.get(id.index()) {
        Some(Node::Field(f)) if !matches!(f.def().scope, Scope::Everywhere) => Some(*f),
        _ => None,
    };
    match nodes.get(id.index())? {
        Node::In {
            item,
            collection,
            negated: false,
        } => match nodes.get(collection.index())? {
            Node::Set(set) => match data.sets.get(set.index())? {
                SetData::Str(items) => {
                    let field = action_field(item)?;
                    for s in items {
                        out.push(string(*s)?);
                    }
                    Some(field)
                }
                _ => None,
            },
            _ => None,
        },
        Node::Compare {
            op: CmpOp::Eq,
            lhs,
            rhs,
        } => match (nodes.get(lhs.index())?, nodes.get(rhs.index())?) {
            (Node::Field(_), Node::Str(s)) => {
                let field = action_field(lhs)?;
                out.push(string(*s)?);
                Some(field)
            }
            (Node::Str(s), Node::Field(_)) => {
                let field = action_field(rhs)?;
                out.push(string(*s)?);
                Some(field)
            }
            _ => None,
        },
        Node::And(items) => items.iter().find_map(|e| implied_strings(data, *e, out)),
        Node::Or(items) if !items.is_empty() => {
            let mut field: Option<Field> = None;
            for item in items {
                let f = implied_strings_into(data, *item, out)?;
                match field {
                    Some(g) if g != f => return None,
                    _ => field = Some(f),
                }
            }
            field
        }
        _ => None,
    }
}

/// [`implied_strings`] as it was first written (a `Vec` per call): the reference the tests
/// compare the buffer version with.
#[cfg(test)]
fn implied_strings_reference(data: &PolicyData, id: ExprId) -> Option<(Field, Vec<&str>)> {
    let nodes = &data.nodes;
    let string = |s: StrId| data.strings.get(s.index());
    let action_field = |id: &ExprId| match nodes.get(id.index()) {
        Some(Node::Field(f)) if !matches!(f.def().scope, Scope::Everywhere) => Some(*f),
        _ => None,
    };
    match nodes.get(id.index())? {
        Node::In {
            item,
            collection,
            negated: false,
        } => match nodes.get(collection.index())? {
            Node::Set(set) => match data.sets.get(set.index())? {
                SetData::Str(items) => Some((
                    action_field(item)?,
                    items.iter().map(|s| string(*s)).collect::<Option<_>>()?,
                )),
                _ => None,
            },
            _ => None,
        },
        Node::Compare {
            op: CmpOp::Eq,
            lhs,
            rhs,
        } => match (nodes.get(lhs.index())?, nodes.get(rhs.index())?) {
            (Node::Field(_), Node::Str(s)) => Some((action_field(lhs)?, vec![string(*s)?])),
            (Node::Str(s), Node::Field(_)) => Some((action_field(rhs)?, vec![string(*s)?])),
            _ => None,
        },
        Node::And(items) => items
            .iter()
            .find_map(|e| implied_strings_reference(data, *e)),
        Node::Or(items) if !items.is_empty() => {
            let mut out: Option<(Field, Vec<&str>)> = None;
            for item in items {
                let (f, values) = implied_strings_reference(data, *item)?;
                match &mut out {
                    Some((g, all)) if *g == f => all.extend(values),
                    Some(_) => return None,
                    None => out = Some((f, values)),
                }
            }
            out
        }
        _ => None,
    }
}

/// Whether node `id` is `any d in STRING_SET: f(x, d)` with `f` one of `starts_with`,
/// `ends_with`, `contains` (or `x == d or starts_with(x, d)`, which is `starts_with(x, d)`)
/// and `x` not reading `d`: then `(f, x, set)`, so the evaluator can evaluate `x` once and
/// test it against the whole set ([`crate::prefilter::NeedleSet`]). Empty sets are left to
/// the generic path. `free_locals`: per node, the quantifier slots it reads unbound.
pub(crate) fn set_quantifier(
    data: &PolicyData,
    free_locals: &[u32],
    id: ExprId,
) -> Option<(Builtin, ExprId, SetId)> {
    let nodes = &data.nodes;
    let Some(Node::Quantified {
        quantifier: Quantifier::Any,
        slot,
        over,
        body,
    }) = nodes.get(id.index())
    else {
        return None;
    };
    let Some(Node::Set(set)) = nodes.get(over.index()) else {
        return None;
    };
    match data.sets.get(set.index()) {
        Some(SetData::Str(items)) if !items.is_empty() => {}
        _ => return None,
    }
    let is_bound = |id: &ExprId| matches!(nodes.get(id.index()), Some(Node::Local(s)) if s == slot);
    let bit = 1u32.checked_shl(u32::from(*slot)).unwrap_or(0);
    let independent = |id: &ExprId| {
        bit != 0
            && free_locals
                .get(id.index())
                .is_some_and(|free| free & bit == 0)
    };
    // Reads of the same field, constant or variable are the same value.
    let simple = |id: &ExprId| {
        matches!(
            nodes.get(id.index()),
            Some(Node::Local(_) | Node::Field(_) | Node::Str(_))
        )
    };
    let same = |a: &ExprId, b: &ExprId| {
        a == b || (independent(a) && simple(a) && nodes.get(a.index()) == nodes.get(b.index()))
    };
    let test = |id: &ExprId| match nodes.get(id.index()) {
        Some(Node::Call { builtin, args }) => match args.as_slice() {
            [x, d] if independent(x) && is_bound(d) => Some((*builtin, *x)),
            _ => None,
        },
        _ => None,
    };
    let (builtin, subject) = match nodes.get(body.index()) {
        Some(Node::Call { .. }) => test(body)?,
        // `x == d or starts_with(x, d)` is `starts_with(x, d)`.
        Some(Node::Or(items)) => match items.as_slice() {
            [a, b] | [b, a] if matches!(test(b), Some((Builtin::StartsWith, _))) => {
                let (_, x) = test(b)?;
                match nodes.get(a.index()) {
                    Some(Node::Compare {
                        op: CmpOp::Eq,
                        lhs,
                        rhs,
                    }) if (same(lhs, &x) && is_bound(rhs)) || (same(rhs, &x) && is_bound(lhs)) => {
                        (Builtin::StartsWith, x)
                    }
                    _ => return None,
                }
            }
            _ => return None,
        },
        _ => return None,
    };
    matches!(
        builtin,
        Builtin::StartsWith | Builtin::EndsWith | Builtin::Contains
    )
    .then_some((builtin, subject, *set))
}

fn len_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

impl fmt::Display for CmpOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// postcard bytes of a list of byte strings (as postcard writes `Vec<String>`).
    fn postcard_list(items: &[&[u8]]) -> Vec<u8> {
        let mut out = vec![u8::try_from(items.len()).unwrap()];
        for item in items {
            out.push(u8::try_from(item.len()).unwrap());
            out.extend_from_slice(item);
        }
        out
    }

    #[test]
    fn strings_are_checked_as_utf8_each_on_its_own() {
        let ok = postcard_list(&["é∀".as_bytes(), b"", "🦀x".as_bytes(), b"plain"]);
        let strings: Strings = postcard::from_bytes(&ok).unwrap();
        assert_eq!(
            strings.iter().collect::<Vec<_>>(),
            ["é∀", "", "🦀x", "plain"]
        );
        // Valid once concatenated, but not each on its own: `é` cut in two.
        for bad in [
            postcard_list(&[b"a\xc3", b"\xa9b"]),
            postcard_list(&[b"\xc3", b"\xa9"]),
            postcard_list(&[b"\xff"]),
            postcard_list(&[b"ok", b"\xf0\x9f\xa6"]),
        ] {
            assert!(postcard::from_bytes::<Strings>(&bad).is_err(), "{bad:?}");
        }
    }

    proptest::proptest! {
        /// Reading the buffer at once gives what a `Vec<String>` gives, and refuses what it
        /// refuses.
        #[test]
        fn strings_decode_as_a_list_of_strings(items in proptest::collection::vec(
            proptest::collection::vec(proptest::prelude::any::<u8>(), 0..6), 0..8)
        ) {
            let refs: Vec<&[u8]> = items.iter().map(Vec::as_slice).collect();
            let bytes = postcard_list(&refs);
            let reference = postcard::from_bytes::<Vec<String>>(&bytes).ok();
            let ours = postcard::from_bytes::<Strings>(&bytes)
                .ok()
                .map(|s| s.iter().map(str::to_string).collect::<Vec<_>>());
            proptest::prop_assert_eq!(ours, reference);
        }
    }

    fn base() -> PolicyData {
        PolicyBuilder::new(Effect::Allow).data().clone()
    }

    fn rule(id: &str, condition: u32) -> Rule {
        Rule {
            id: id.into(),
            doc: String::new(),
            effect: Effect::Deny,
            mode: Mode::Enforce,
            on: Some(ActionKind::Sql),
            condition: ExprId(condition),
            message: Template::default(),
            help: Template::default(),
            controls: vec![],
            source: SourceLoc::default(),
        }
    }

    /// The buffer version of `implied_strings` gives what the reference gives on every node
    /// of a policy with tests that hold, fail half-way through an `or` (the buffer must be
    /// left as it was) and mix fields; what was in the buffer before is kept.
    #[test]
    fn implied_strings_agree_with_the_reference() {
        let mut b = PolicyBuilder::new(Effect::Allow);
        let program = b.field(Field::ExecProgram);
        let env = b.field(Field::TargetEnv);
        let kind = b.field(Field::StmtKind);
        let rm_dd = b.string_set(["dd", "rm"]);
        let rm_dd = b.set(rm_dd);
        let in_rm_dd = b.is_in(program, rm_dd, false);
        let not_in = b.is_in(program, rm_dd, true);
        let rm = b.str("rm");
        let is_rm = b.compare(CmpOp::Eq, program, rm);
        let rm_is = b.compare(CmpOp::Eq, rm, program);
        let ne_rm = b.compare(CmpOp::Ne, program, rm);
        let prod = b.str("prod");
        let on_prod = b.compare(CmpOp::Eq, env, prod);
        let ints = b.int_set([1, 2]);
        let ints = b.set(ints);
        let in_ints = b.is_in(kind, ints, false);
        let t = b.bool(true);
        let or_ok = b.or(vec![in_rm_dd, is_rm, rm_is]);
        // Two tests on `exec.program`, then one that implies nothing: `None`, nothing kept.
        let or_fails_late = b.or(vec![in_rm_dd, is_rm, t]);
        let or_fails_first = b.or(vec![t, is_rm]);
        let or_mixed = b.or(vec![is_rm, on_prod]);
        let and_late = b.and(vec![t, ne_rm, or_ok]);
        let and_none = b.and(vec![t, not_in, in_ints]);
        let or_nested = b.or(vec![and_late, or_ok, is_rm]);
        let or_nested_bad = b.or(vec![and_late, or_fails_late]);
        let empty_or = b.or(vec![]);
        b.rule(rule("t.r", or_nested.0));
        let _ = (or_fails_first, or_mixed, and_none, or_nested_bad, empty_or);
        let policy = b.finish().unwrap();
        let data = policy.data();
        let mut buf = vec!["kept"];
        let mut some = 0;
        for i in 0..data.nodes.len() {
            let id = ExprId(len_u32(i));
            let field = implied_strings(data, id, &mut buf);
            let ours = field.map(|f| (f, buf[1..].to_vec()));
            if ours.is_some() {
                some += 1;
            }
            assert_eq!(ours, implied_strings_reference(data, id), "node {i}");
            assert_eq!(buf.first(), Some(&"kept"), "node {i}");
            if field.is_none() {
                assert_eq!(
                    buf.len(),
                    1,
                    "node {i}: a `None` leaves the buffer as it was"
                );
            }
            buf.truncate(1);
        }
        // `in_rm_dd`, `is_rm`, `rm_is`, `or_ok`, `and_late`, `or_nested`.
        assert_eq!(some, 6);
    }

    /// The discriminator's bit sets, read through `rules_for`, against the rules' tests
    /// written out by hand (values repeated within and across rules, an `or` of tests).
    #[test]
    fn discriminator_bits_name_the_rules_each_value_passes() {
        let mut b = PolicyBuilder::new(Effect::Allow);
        let program = b.field(Field::ExecProgram);
        let rm_dd = b.string_set(["dd", "rm"]);
        let rm_dd = b.set(rm_dd);
        let in_rm_dd = b.is_in(program, rm_dd, false);
        let rm = b.str("rm");
        let is_rm = b.compare(CmpOp::Eq, program, rm);
        let ls = b.str("ls");
        let is_ls = b.compare(CmpOp::Eq, program, ls);
        let rm_cat = b.string_set(["cat", "rm", "rm"]);
        let rm_cat = b.set(rm_cat);
        let in_rm_cat = b.is_in(program, rm_cat, false);
        let either = b.or(vec![is_ls, in_rm_cat, is_rm]);
        for (i, condition) in [in_rm_dd, is_rm, either].into_iter().enumerate() {
            b.rule(Rule {
                on: Some(ActionKind::Exec),
                condition,
                ..rule(&format!("t.r{i}"), 0)
            });
        }
        let policy = b.finish().unwrap();
        let plan = policy.plan();
        assert_eq!(plan.discriminators.len(), 1);
        let d = &plan.discriminators[0];
        let rules = |value: &str| {
            d.rules_for(value).map(|bits| {
                (0..3)
                    .filter(|i| bits[i / 64] >> (i % 64) & 1 == 1)
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(rules("rm"), Some(vec![0, 1, 2]));
        assert_eq!(rules("dd"), Some(vec![0]));
        assert_eq!(rules("ls"), Some(vec![2]));
        assert_eq!(rules("cat"), Some(vec![2]));
        assert_eq!(rules("r"), None);
        assert_eq!(rules(""), None);
    }

    /// Node children (inline up to four) are encoded exactly as the `Vec`s they replaced,
    /// and read back, on both sides of the inline limit.
    #[test]
    fn children_encode_as_a_vec() {
        for n in 0..10u32 {
            let ids: Vec<ExprId> = (0..n).map(|i| ExprId(i * 300)).collect();
            let children = Children::from_slice(&ids);
            let bytes = postcard::to_stdvec(&children).unwrap();
            assert_eq!(bytes, postcard::to_stdvec(&ids).unwrap(), "{n}");
            let back: Children = postcard::from_bytes(&bytes).unwrap();
            assert_eq!(back.as_slice(), ids.as_slice());
        }
        assert!(std::mem::size_of::<Children>() <= std::mem::size_of::<Vec<ExprId>>());
    }

    /// Template parts (inline up to four) are encoded exactly as the `Vec`s they replaced,
    /// and read back, on both sides of the inline limit.
    #[test]
    fn template_parts_encode_as_a_vec() {
        for n in 0..9u32 {
            let parts: Vec<Part> = (0..n)
                .map(|i| {
                    if i % 2 == 0 {
                        Part::Text(StrId(i * 200))
                    } else {
                        Part::Expr(ExprId(i))
                    }
                })
                .collect();
            let template = Template {
                parts: parts.iter().cloned().collect(),
            };
            let bytes = postcard::to_stdvec(&template).unwrap();
            assert_eq!(bytes, postcard::to_stdvec(&(&parts,)).unwrap(), "{n}");
            let back: Template = postcard::from_bytes(&bytes).unwrap();
            assert_eq!(back.parts.as_slice(), parts.as_slice());
        }
    }

    /// `Node::children` (the `ChildIds` iterator) gives what chaining its parts with
    /// `chain(flatten)`, the code it replaced, gives, for every variant.
    #[test]
    fn children_agree_with_the_chained_iterator() {
        fn reference(node: &Node) -> Vec<ExprId> {
            let (many, few) = node.child_parts();
            many.iter()
                .copied()
                .chain(few.into_iter().flatten())
                .collect()
        }
        let ids = |n: u32| -> Children { (0..n).map(|i| ExprId(10 + i)).collect() };
        let mut nodes = vec![
            Node::Bool(true),
            Node::Int(3),
            Node::Str(StrId(1)),
            Node::Field(Field::ExecProgram),
            Node::Local(2),
            Node::Set(SetId(0)),
            Node::Not(ExprId(4)),
            Node::Compare {
                op: CmpOp::Lt,
                lhs: ExprId(5),
                rhs: ExprId(6),
            },
            Node::In {
                item: ExprId(7),
                collection: ExprId(8),
                negated: true,
            },
            Node::Matches {
                subject: ExprId(9),
                pattern: PatternId(0),
            },
            Node::Quantified {
                quantifier: Quantifier::All,
                slot: 1,
                over: ExprId(11),
                body: ExprId(12),
            },
        ];
        for n in 0..7 {
            nodes.push(Node::And(ids(n)));
            nodes.push(Node::Or(ids(n)));
            nodes.push(Node::List(ids(n)));
            nodes.push(Node::Call {
                builtin: Builtin::StartsWith,
                args: ids(n),
            });
        }
        for node in &nodes {
            let ours: Vec<ExprId> = node.children().collect();
            assert_eq!(ours, reference(node), "{node:?}");
            assert_eq!(node.children().size_hint(), (ours.len(), Some(ours.len())));
        }
    }

    #[test]
    fn rejects_forward_and_self_references() {
        let mut d = base();
        d.nodes = vec![Node::Not(ExprId(0))];
        assert_eq!(
            Policy::new(d.clone()).err(),
            Some(IrError::ForwardReference { node: 0, child: 0 })
        );
        d.nodes = vec![
            Node::Bool(true),
            Node::And(smallvec::smallvec![ExprId(0), ExprId(2)]),
            Node::Bool(false),
        ];
        assert_eq!(
            Policy::new(d).err(),
            Some(IrError::ForwardReference { node: 1, child: 2 })
        );
    }

    #[test]
    fn rejects_expressions_deeper_than_the_limit() {
        let mut d = base();
        d.nodes.push(Node::Bool(true));
        for i in 0..MAX_DEPTH as u32 {
            d.nodes.push(Node::Not(ExprId(i)));
        }
        assert_eq!(
            Policy::new(d.clone()).err(),
            Some(IrError::TooDeep {
                node: MAX_DEPTH as u32
            })
        );
        d.nodes.pop();
        assert!(Policy::new(d).is_ok());
    }

    #[test]
    fn rejects_out_of_range_ids() {
        let cases = [
            (Node::Str(StrId(0)), "string"),
            (Node::Set(SetId(0)), "set"),
            (
                Node::Matches {
                    subject: ExprId(0),
                    pattern: PatternId(0),
                },
                "pattern",
            ),
        ];
        for (node, what) in cases {
            let mut d = base();
            d.nodes = vec![Node::Bool(true), node];
            assert!(
                matches!(Policy::new(d), Err(IrError::OutOfRange { what: w, .. }) if w == what),
                "{what}"
            );
        }
        let mut d = base();
        d.rules = vec![rule("m.r", 3)];
        assert_eq!(
            Policy::new(d).err(),
            Some(IrError::OutOfRange {
                what: "node",
                id: 3
            })
        );
        let mut d = base();
        d.nodes = vec![Node::Enum(EnumValue {
            ty: EnumType::Channel,
            index: 2,
        })];
        assert!(matches!(
            Policy::new(d),
            Err(IrError::OutOfRange {
                what: "enum variant",
                ..
            })
        ));
    }

    #[test]
    fn rejects_bad_slots_arity_sets_patterns_and_duplicate_ids() {
        let mut d = base();
        d.nodes = vec![Node::Local(MAX_LOCALS as u16)];
        assert!(matches!(Policy::new(d), Err(IrError::BadSlot { .. })));

        let mut d = base();
        d.nodes = vec![
            Node::Bool(true),
            Node::Call {
                builtin: Builtin::StartsWith,
                args: smallvec::smallvec![ExprId(0)],
            },
        ];
        assert!(matches!(
            Policy::new(d),
            Err(IrError::BadArity {
                got: 1,
                expected: 2,
                ..
            })
        ));

        let mut d = base();
        d.strings = ["b", "a"].into_iter().collect();
        d.sets = vec![SetData::Str(vec![StrId(0), StrId(1)])];
        assert_eq!(Policy::new(d).err(), Some(IrError::UnsortedSet { set: 0 }));

        let mut d = base();
        d.sets = vec![SetData::Int(vec![1, 1])];
        assert_eq!(Policy::new(d).err(), Some(IrError::UnsortedSet { set: 0 }));

        let mut d = base();
        let drop = EnumValue::named(EnumType::StatementKind, "drop");
        d.sets = vec![SetData::Enum(
            EnumType::ObjectKind,
            drop.into_iter().collect(),
        )];
        assert_eq!(Policy::new(d).err(), Some(IrError::MixedSet { set: 0 }));

        // A regex is checked when first compiled (evaluation then fails closed, see
        // `eval::tests::a_regex_that_does_not_compile_is_an_error_decision`), or on request.
        let mut d = base();
        d.patterns = vec![Pattern::Regex("(".into())];
        let lazy = Policy::new(d).unwrap();
        assert!(matches!(
            lazy.check_patterns(),
            Err(IrError::BadPattern { .. })
        ));
        let mut d = base();
        d.patterns = vec![Pattern::Regex("a(b)".into()), Pattern::Glob("*.x".into())];
        assert_eq!(Policy::new(d).unwrap().check_patterns(), Ok(()));
        let mut d = base();
        d.patterns = vec![Pattern::Glob("a[".into())];
        assert!(matches!(Policy::new(d), Err(IrError::BadPattern { .. })));

        let mut d = base();
        d.nodes = vec![Node::Bool(true)];
        d.rules = vec![rule("m.r", 0), rule("m.r", 0)];
        assert_eq!(
            Policy::new(d).err(),
            Some(IrError::DuplicateRule { id: "m.r".into() })
        );
    }

    #[test]
    fn strings_encode_as_a_vec_of_strings() {
        let texts = vec![
            String::new(),
            "a".into(),
            "é/x".into(),
            "".into(),
            "long".repeat(40),
        ];
        let strings: Strings = texts.iter().collect();
        assert_eq!(strings.len(), 5);
        assert_eq!(strings.iter().collect::<Vec<_>>(), texts);
        assert_eq!(strings.get(5), None);
        assert_eq!(&strings[2], "é/x");
        let bytes = postcard::to_stdvec(&strings).unwrap();
        assert_eq!(bytes, postcard::to_stdvec(&texts).unwrap());
        assert_eq!(postcard::from_bytes::<Strings>(&bytes).unwrap(), strings);
        assert_eq!(format!("{strings:?}"), format!("{texts:?}"));
        // Invalid UTF-8 and a length past the end are errors, not panics.
        assert!(postcard::from_bytes::<Strings>(&[1, 1, 0xff]).is_err());
        assert!(postcard::from_bytes::<Strings>(&[2, 1, b'a', 9]).is_err());
        assert!(postcard::from_bytes::<Strings>(&[0xff, 0xff, 0xff, 0xff, 0x0f]).is_err());
    }

    #[test]
    fn string_sets_agree_with_a_hash_set() {
        let words: Vec<String> = (0..300)
            .map(|i| match i % 4 {
                0 => format!("w{i}"),
                1 => "x".repeat(i % 17),
                2 => format!("é{i}/"),
                _ => format!("{i}"),
            })
            .collect();
        for n in [0, 1, 2, 3, 7, 8, 9, 64, 200] {
            let mut items: Vec<&str> = words.iter().take(n).map(String::as_str).collect();
            items.sort_unstable();
            items.dedup();
            let set = StrSet::new(&items);
            let reference: std::collections::HashSet<&str> = items.iter().copied().collect();
            for probe in words.iter().map(String::as_str).chain(["", "w", "zz", "x"]) {
                assert_eq!(
                    set.contains(probe),
                    reference.contains(probe),
                    "{n}: {probe:?}"
                );
                assert_eq!(
                    set.position(probe),
                    items.iter().position(|i| *i == probe),
                    "{n}: {probe:?}"
                );
            }
        }
        // Items in any order (as discriminators give them): indices are the given order's.
        let items = ["zeta", "alpha", "", "mid", "b"];
        let set = StrSet::new(&items);
        for (i, item) in items.iter().enumerate() {
            assert_eq!(set.position(item), Some(i));
        }
        assert_eq!(set.position("nope"), None);
    }

    #[test]
    fn simple_globs_agree_with_globset() {
        let globs = [
            "billing.*",
            "*.internal.example.com",
            "*drop*",
            "exact",
            "*",
            "**",
            "",
            "a*b",
            "pg_?",
            "[ab]*",
            "{x,y}*",
            "\\*x",
            "*/",
            "/var/*",
            "*.*",
        ];
        let subjects = [
            "",
            "billing.",
            "billing.invoices",
            "x.billing.y",
            "db.internal.example.com",
            "internal.example.com",
            "dropped",
            "DROP",
            "exact",
            "exact!",
            "ab",
            "a/b",
            "pg_x",
            "bx",
            "yz",
            "*x",
            "/var/log",
            "/var",
            "a.b",
            "é.*",
        ];
        for glob in globs {
            let general = globset::GlobBuilder::new(glob)
                .literal_separator(false)
                .backslash_escape(true)
                .build()
                .unwrap()
                .compile_matcher();
            let ours = Pattern::Glob(glob.into()).compile().unwrap();
            for subject in subjects {
                assert_eq!(
                    ours.is_match(subject),
                    general.is_match(subject),
                    "{glob:?} on {subject:?} ({ours:?})"
                );
            }
        }
        assert!(matches!(
            Pattern::Glob("billing.*".into()).compile(),
            Ok(Matcher::Prefix(_))
        ));
        assert!(matches!(
            Pattern::Glob("a*b".into()).compile(),
            Ok(Matcher::Glob(_))
        ));
    }

    #[test]
    fn builder_interns_and_deduplicates() {
        let mut b = PolicyBuilder::new(Effect::Deny);
        assert_eq!(b.intern("x"), b.intern("x"));
        let s1 = b.string_set(["b", "a", "b"]);
        let s2 = b.string_set(["a", "b"]);
        assert_eq!(s1, s2);
        assert_eq!(b.data().sets, vec![SetData::Str(vec![StrId(1), StrId(2)])]);
        let p1 = b.pattern(Pattern::Glob("a*".into()));
        let p2 = b.pattern(Pattern::Glob("a*".into()));
        assert_eq!(p1, p2);
        assert!(b.pattern(Pattern::Regex("(".into())).is_err());
        let e = b.bool(true);
        let t = b.template(&[
            TemplatePiece::Text("a"),
            TemplatePiece::Text("b"),
            TemplatePiece::Expr(e),
        ]);
        assert_eq!(t.parts.len(), 2);
        assert!(b.finish().is_ok());
    }

    #[test]
    fn schema_name_lists_are_checked_exactly() {
        let mut b = PolicyBuilder::new(Effect::Allow);
        let kind = b.field(Field::StmtKind);
        let drop = EnumValue::named(EnumType::StatementKind, "drop").unwrap();
        let drop = b.node(Node::Enum(drop));
        let is_drop = b.compare(CmpOp::Eq, kind, drop);
        let env = b.field(Field::TargetEnv);
        let prod = b.str("prod");
        let on_prod = b.compare(CmpOp::Eq, env, prod);
        let kinds = b.enum_set(
            EnumType::ObjectKind,
            [EnumValue::named(EnumType::ObjectKind, "table").unwrap()],
        );
        let kinds = b.set(kinds);
        let object = b.field(Field::StmtObject);
        let is_table = b.is_in(object, kinds, false);
        let cond = b.and(vec![is_drop, on_prod, is_table]);
        let mut r = rule("m.r", cond.0);
        r.on = Some(ActionKind::Sql);
        b.rule(r);
        let policy = b.finish().unwrap();
        let names = policy.schema_names();
        assert_eq!(
            names,
            [
                "enum:object_kind",
                "enum:object_kind.table",
                "enum:statement_kind.drop",
                "field:stmt.kind",
                "field:stmt.object",
                "field:target.env",
                "kind:sql",
            ]
        );
        // As decode checks: every name resolves (else GB007), then the list is the policy's.
        let are = |names: &[String]| {
            let refs: Option<Vec<SchemaRef>> =
                names.iter().map(|n| resolve_schema_name(n)).collect();
            refs.is_some_and(|refs| {
                policy.schema_names_are(&names.iter().collect::<Strings>(), &refs)
            })
        };
        assert!(are(&names));
        let mut reversed = names.clone();
        reversed.reverse();
        assert!(!are(&reversed));
        let mut doubled = names.clone();
        doubled.insert(1, names[0].clone());
        doubled.pop();
        assert!(!are(&doubled));
        assert!(!are(&names[1..]));
        for (i, other) in [
            "enum:object_kind.view",
            "field:stmt.kinds",
            "enum:statement_kind",
            "bogus",
            "kind:exec",
        ]
        .iter()
        .enumerate()
        {
            let mut changed = names.clone();
            changed[i % names.len()] = other.to_string();
            changed.sort();
            assert!(!are(&changed), "{other}");
        }
    }

    #[test]
    fn schema_names_are_known_to_this_engine() {
        assert!(schema_name_known("field:stmt.kind"));
        assert!(schema_name_known("enum:statement_kind.drop"));
        assert!(schema_name_known("enum:statement_kind"));
        assert!(schema_name_known("kind:k8s"));
        assert!(!schema_name_known("field:stmt.kinds"));
        assert!(!schema_name_known("enum:statement_kind.dropp"));
        assert!(!schema_name_known("kind:ftp"));
        assert!(!schema_name_known("bogus"));
    }
}
