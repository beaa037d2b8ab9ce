//! Constant folding for lints: a rule whose condition is constant false never matches; a `when`
//! that is constant true says nothing; an `unless` that is constant false never excuses.
//!
//! Folding is conservative: `None` means "not known at check time", never "false". It reads
//! literals, named sets (constants) and def bodies (through a guard, so a def cycle, already an
//! error, cannot loop).

use guard_diagnostics::Diagnostic;

use crate::codes;
use crate::program::{CmpOp, Const, DefId, Program, Quantifier, TExpr, TExprKind};

/// The constant value of a bool expression, if it has one. `checked[d]` says whether def `d`'s
/// body type-checked; one that did not holds a placeholder and is not folded.
fn fold(program: &Program, checked: &[bool], e: &TExpr, visiting: &mut Vec<DefId>) -> Option<bool> {
    match &e.kind {
        TExprKind::Bool(b) => Some(*b),
        TExprKind::Not(x) => fold(program, checked, x, visiting).map(|b| !b),
        TExprKind::And(..) | TExprKind::Or(..) => {
            // Chains are left-deep and may be thousands long: walk them in a loop.
            let is_and = matches!(e.kind, TExprKind::And(..));
            let mut unknown = false;
            for operand in operands(e, is_and) {
                match fold(program, checked, operand, visiting) {
                    // `false` decides an `and`, `true` decides an `or`.
                    Some(v) if v != is_and => return Some(v),
                    Some(_) => {}
                    None => unknown = true,
                }
            }
            (!unknown).then_some(is_and)
        }
        TExprKind::Compare { op, lhs, rhs } => {
            let (l, r) = (fold_const(lhs)?, fold_const(rhs)?);
            match op {
                CmpOp::Eq => Some(l == r),
                CmpOp::Ne => Some(l != r),
                CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge => {
                    let (Const::Int(l), Const::Int(r)) = (l, r) else {
                        return None;
                    };
                    Some(match op {
                        CmpOp::Lt => l < r,
                        CmpOp::Le => l <= r,
                        CmpOp::Gt => l > r,
                        _ => l >= r,
                    })
                }
            }
        }
        TExprKind::In {
            negated,
            elem,
            coll,
        } => {
            let items = fold_collection(program, coll)?;
            // An empty collection contains nothing, whatever the element is.
            let found = if items.is_empty() {
                false
            } else {
                items.contains(&fold_const(elem)?)
            };
            Some(found != *negated)
        }
        TExprKind::Quantified {
            quantifier, over, ..
        } => {
            let items = fold_collection(program, over)?;
            if items.is_empty() {
                Some(*quantifier == Quantifier::All)
            } else {
                None
            }
        }
        TExprKind::Def(id) => {
            let body_checked = checked.get(id.0 as usize).copied().unwrap_or(false);
            if visiting.contains(id) || !body_checked {
                return None;
            }
            visiting.push(*id);
            let out = program
                .def(*id)
                .and_then(|d| fold(program, checked, &d.body, visiting));
            visiting.pop();
            out
        }
        _ => None,
    }
}

/// The operands of a chain of one operator (`a and b and c`), left to right.
fn operands(e: &TExpr, and: bool) -> Vec<&TExpr> {
    let mut out = Vec::new();
    let mut spine = e;
    while let (TExprKind::And(l, r), true) | (TExprKind::Or(l, r), false) = (&spine.kind, and) {
        out.push(r.as_ref());
        spine = l;
    }
    out.push(spine);
    out.reverse();
    out
}

fn fold_const(e: &TExpr) -> Option<Const> {
    match &e.kind {
        TExprKind::Bool(b) => Some(Const::Bool(*b)),
        TExprKind::Int(i) => Some(Const::Int(*i)),
        TExprKind::Str(s) => Some(Const::Str(s.clone())),
        TExprKind::Enum(t, i) => Some(Const::Enum(*t, *i)),
        _ => None,
    }
}

fn fold_collection(program: &Program, e: &TExpr) -> Option<Vec<Const>> {
    match &e.kind {
        TExprKind::Set(id) => program.set(*id).map(|s| s.values.clone()),
        TExprKind::Collection { items, .. } => items.iter().map(fold_const).collect(),
        _ => None,
    }
}

/// Lints on every rule of the program. Diagnostics are tagged with the rule's file.
pub(crate) fn lint_rules(program: &Program, checked: &[bool]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut visiting = Vec::new();
    for rule in &program.rules {
        let file = rule.file;
        let whens: Vec<Option<bool>> = rule
            .when
            .iter()
            .map(|w| fold(program, checked, w, &mut visiting))
            .collect();
        let unlesses: Vec<Option<bool>> = rule
            .unless
            .iter()
            .map(|u| fold(program, checked, u, &mut visiting))
            .collect();
        let name = rule.id.rsplit('.').next().unwrap_or(&rule.id);

        let false_when = rule
            .when
            .iter()
            .zip(&whens)
            .find(|(_, v)| **v == Some(false));
        let true_unless = rule
            .unless
            .iter()
            .zip(&unlesses)
            .find(|(_, v)| **v == Some(true));
        if let Some((w, _)) = false_when {
            out.push(
                Diagnostic::warning(
                    codes::NEVER_MATCHES,
                    rule.name_span,
                    format!("rule `{name}` can never match"),
                )
                .with_label("this rule never matches")
                .with_secondary(w.span, "this `when` condition is always false")
                .with_help("fix the condition, or delete the rule if it is no longer needed")
                .in_file(file),
            );
        } else if let Some((u, _)) = true_unless {
            out.push(
                Diagnostic::warning(
                    codes::NEVER_MATCHES,
                    rule.name_span,
                    format!("rule `{name}` can never match"),
                )
                .with_label("this rule never matches")
                .with_secondary(u.span, "this `unless` condition always holds")
                .with_help("fix the condition, or delete the rule if it is no longer needed")
                .in_file(file),
            );
        }
        for (w, v) in rule.when.iter().zip(&whens) {
            if *v == Some(true) {
                out.push(
                    Diagnostic::warning(
                        codes::ALWAYS_TRUE,
                        w.span,
                        "this `when` condition is always true",
                    )
                    .with_label("always true")
                    .with_help("remove it: it does not narrow what the rule matches")
                    .in_file(file),
                );
            }
        }
        for (u, v) in rule.unless.iter().zip(&unlesses) {
            if *v == Some(false) {
                out.push(
                    Diagnostic::warning(
                        codes::UNLESS_NEVER_HOLDS,
                        u.span,
                        "this `unless` condition never holds",
                    )
                    .with_label("always false, so it never excuses a match")
                    .with_help("fix the condition, or remove the `unless`")
                    .in_file(file),
                );
            }
        }
    }
    out
}
