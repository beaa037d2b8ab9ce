//! The Python front end: walks a tree-sitter-python tree (see the module docs of `script`).

use tree_sitter::Node;

use super::calls::{self, Args, check_arg};
use super::table::Kind;
use super::{Cx, Obj, R, Val, field, join, named_children, stop};

pub(crate) fn program(cx: &mut Cx<'_>, root: Node<'_>) -> R<()> {
    count_bindings(cx, root);
    block(cx, root)
}

fn count_bindings(cx: &mut Cx<'_>, root: Node<'_>) {
    cx.count_bindings(
        root,
        |kind| {
            matches!(
                kind,
                "import_statement"
                    | "import_from_statement"
                    | "except_clause"
                    | "delete_statement"
                    | "global_statement"
                    | "nonlocal_statement"
                    | "as_pattern_target"
            )
        },
        |kind| kind == "identifier",
        |node| match node.kind() {
            "assignment" | "augmented_assignment" | "for_statement" | "for_in_clause" => {
                node.child_by_field_name("left")
            }
            "named_expression" => node.child_by_field_name("name"),
            _ => None,
        },
    );
}

fn block(cx: &mut Cx<'_>, node: Node<'_>) -> R<()> {
    for child in named_children(node) {
        statement(cx, child)?;
    }
    Ok(())
}

fn statement(cx: &mut Cx<'_>, node: Node<'_>) -> R<()> {
    cx.nested(node, statement_inner)
}

fn statement_inner(cx: &mut Cx<'_>, node: Node<'_>) -> R<()> {
    match node.kind() {
        "expression_statement" => {
            for child in named_children(node) {
                expr(cx, child)?;
            }
            Ok(())
        }
        "block" | "module" => block(cx, node),
        "pass_statement"
        | "break_statement"
        | "continue_statement"
        | "global_statement"
        | "nonlocal_statement"
        | "future_import_statement" => Ok(()),
        "return_statement" | "raise_statement" | "assert_statement" => {
            for child in named_children(node) {
                expr(cx, child)?;
            }
            Ok(())
        }
        "print_statement" => {
            for child in named_children(node) {
                let v = expr(cx, child)?;
                check_arg(cx, &v, child, "print")?;
            }
            Ok(())
        }
        "import_statement" => import(cx, node),
        "import_from_statement" => import_from(cx, node),
        "if_statement" => {
            expr(cx, field(node, "condition")?)?;
            let consequence = field(node, "consequence")?;
            let mut arms = vec![Some(consequence)];
            let mut has_else = false;
            let mut conditions = vec![];
            let mut cursor = node.walk();
            for alt in node.children_by_field_name("alternative", &mut cursor) {
                match alt.kind() {
                    "elif_clause" => {
                        conditions.push(field(alt, "condition")?);
                        arms.push(Some(field(alt, "consequence")?));
                    }
                    _ => {
                        has_else = true;
                        arms.push(Some(field(alt, "body")?));
                    }
                }
            }
            for c in conditions {
                expr(cx, c)?;
            }
            if !has_else {
                arms.push(None);
            }
            cx.branches(arms.len(), |cx, i| match arms.get(i).copied().flatten() {
                Some(body) => block(cx, body),
                None => Ok(()),
            })
        }
        "for_statement" => {
            let left = field(node, "left")?;
            let iterable = expr(cx, field(node, "right")?)?;
            let body = field(node, "body")?;
            match &iterable {
                // A short literal list: each pass exactly.
                Val::List(items) if items.len() <= 16 && items.iter().all(Val::is_literal) => {
                    for item in items {
                        bind_target(cx, left, item.clone())?;
                        block(cx, body)?;
                    }
                }
                _ => {
                    let item = element(cx, &iterable, node)?;
                    cx.looped(|cx| {
                        bind_target(cx, left, item.clone())?;
                        block(cx, body)
                    })?;
                }
            }
            if let Some(alt) = node.child_by_field_name("alternative") {
                block(cx, field(alt, "body")?)?;
            }
            Ok(())
        }
        "while_statement" => {
            let condition = field(node, "condition")?;
            let body = field(node, "body")?;
            expr(cx, condition)?;
            cx.looped(|cx| {
                expr(cx, condition)?;
                block(cx, body)
            })?;
            if let Some(alt) = node.child_by_field_name("alternative") {
                block(cx, field(alt, "body")?)?;
            }
            Ok(())
        }
        "try_statement" => {
            let before = cx.vars.clone();
            block(cx, field(node, "body")?)?;
            cx.vars = super::join_scopes(&before, &cx.vars);
            for child in named_children(node) {
                match child.kind() {
                    "except_clause" | "except_group_clause" => {
                        for part in named_children(child) {
                            match part.kind() {
                                "block" => block(cx, part)?,
                                "as_pattern" => {
                                    let mut parts = named_children(part).into_iter();
                                    if let Some(e) = parts.next() {
                                        expr(cx, e)?;
                                    }
                                    if let Some(alias) = part.child_by_field_name("alias") {
                                        bind_target(cx, alias, Val::Data(None))?;
                                    }
                                }
                                _ => {
                                    expr(cx, part)?;
                                }
                            }
                        }
                    }
                    "else_clause" | "finally_clause" => {
                        for part in named_children(child) {
                            if part.kind() == "block" {
                                block(cx, part)?;
                            }
                        }
                    }
                    _ => {}
                }
            }
            Ok(())
        }
        "with_statement" => {
            for child in named_children(node) {
                if child.kind() == "with_clause" {
                    for item in named_children(child) {
                        let value = field(item, "value")?;
                        if value.kind() == "as_pattern" {
                            let inner = named_children(value);
                            let Some(e) = inner.first() else {
                                return stop("code has an empty `with`", value);
                            };
                            let v = expr(cx, *e)?;
                            if let Some(alias) = value.child_by_field_name("alias") {
                                bind_target(cx, alias, v)?;
                            }
                        } else {
                            expr(cx, value)?;
                        }
                    }
                }
            }
            block(cx, field(node, "body")?)
        }
        "delete_statement" => {
            for target in named_children(node) {
                delete(cx, target)?;
            }
            Ok(())
        }
        "function_definition" | "decorated_definition" => {
            stop("defines a function, which guard does not analyse", node)
        }
        "class_definition" => stop("defines a class, which guard does not analyse", node),
        "exec_statement" => stop("runs code with `exec`, which guard does not analyse", node),
        other => stop(
            format!("uses Python syntax guard does not model (`{other}`)"),
            node,
        ),
    }
}

fn delete(cx: &mut Cx<'_>, target: Node<'_>) -> R<()> {
    match target.kind() {
        "identifier" => {
            let name = cx.text(target).to_string();
            cx.vars.remove(&name);
            Ok(())
        }
        "expression_list" | "tuple" | "list" => {
            for t in named_children(target) {
                delete(cx, t)?;
            }
            Ok(())
        }
        "subscript" | "attribute" => {
            let object = target
                .child_by_field_name("value")
                .or_else(|| target.child_by_field_name("object"));
            match object.map(|o| expr(cx, o)).transpose()? {
                Some(v) if v.is_data() => Ok(()),
                _ => stop(
                    format!("deletes `{}`, which guard does not model", cx.text(target)),
                    target,
                ),
            }
        }
        _ => stop(
            format!("deletes `{}`, which guard does not model", cx.text(target)),
            target,
        ),
    }
}

/// A module name is bound only when guard knows the module (importing runs its code).
fn known_module(cx: &Cx<'_>, name: &str, node: Node<'_>) -> R<()> {
    match cx.kind(name) {
        Some(Kind::Module) => Ok(()),
        _ => stop(
            format!("imports `{name}`, which guard does not model"),
            node,
        ),
    }
}

fn import(cx: &mut Cx<'_>, node: Node<'_>) -> R<()> {
    let mut cursor = node.walk();
    let names: Vec<Node<'_>> = node.children_by_field_name("name", &mut cursor).collect();
    for n in names {
        match n.kind() {
            "dotted_name" => {
                let full = cx.text(n).to_string();
                known_module(cx, &full, n)?;
                let first = full.split('.').next().unwrap_or(&full).to_string();
                known_module(cx, &first, n)?;
                cx.bind(&first, Val::Name(first.clone()));
            }
            "aliased_import" => {
                let full = cx.text(field(n, "name")?).to_string();
                known_module(cx, &full, n)?;
                let alias = cx.text(field(n, "alias")?).to_string();
                cx.bind(&alias, Val::Name(full));
            }
            other => {
                return stop(
                    format!("uses an import guard does not model (`{other}`)"),
                    n,
                );
            }
        }
    }
    Ok(())
}

fn import_from(cx: &mut Cx<'_>, node: Node<'_>) -> R<()> {
    let module = field(node, "module_name")?;
    if module.kind() != "dotted_name" {
        return stop("uses a relative import, which guard does not model", node);
    }
    let module = cx.text(module).to_string();
    known_module(cx, &module, node)?;
    if named_children(node)
        .iter()
        .any(|c| c.kind() == "wildcard_import")
    {
        return stop(format!("imports everything from `{module}`"), node);
    }
    let mut cursor = node.walk();
    let names: Vec<Node<'_>> = node.children_by_field_name("name", &mut cursor).collect();
    for n in names {
        let (name, alias) = match n.kind() {
            "dotted_name" => (cx.text(n).to_string(), cx.text(n).to_string()),
            "aliased_import" => (
                cx.text(field(n, "name")?).to_string(),
                cx.text(field(n, "alias")?).to_string(),
            ),
            other => {
                return stop(
                    format!("uses an import guard does not model (`{other}`)"),
                    n,
                );
            }
        };
        let q = format!("{module}.{name}");
        if cx.kind(&q).is_none() {
            return stop(format!("imports `{q}`, which guard does not model"), n);
        }
        let v = cx.norm(Val::Name(q));
        cx.bind(&alias, v);
    }
    Ok(())
}

/// A table name as a value: constants are data, the environment is its object.
/// The value of one item of `v` when iterated or unpacked.
fn element(cx: &mut Cx<'_>, v: &Val, node: Node<'_>) -> R<Val> {
    match v {
        Val::List(items) => Ok(items.iter().skip(1).fold(
            items.first().cloned().unwrap_or(Val::Data(None)),
            |acc, i| join(&acc, i),
        )),
        v if v.is_data() => Ok(Val::Data(None)),
        Val::Obj(Obj::Env) => {
            cx.emit(super::Effect::Argv(vec!["env".to_string()]), node);
            Ok(Val::Data(None))
        }
        Val::Obj(Obj::Path(_)) => Ok(Val::Obj(Obj::Path(None))),
        Val::Obj(Obj::Db(..)) => Ok(Val::Data(None)),
        _ => stop("iterates over a value guard cannot follow", node),
    }
}

fn bind_target(cx: &mut Cx<'_>, target: Node<'_>, v: Val) -> R<()> {
    match target.kind() {
        "identifier" => {
            let name = cx.text(target).to_string();
            cx.bind(&name, v);
            Ok(())
        }
        "pattern_list" | "tuple_pattern" | "list_pattern" | "expression_list" | "tuple"
        | "list" => {
            let targets = named_children(target);
            match &v {
                Val::List(items) if items.len() == targets.len() => {
                    for (t, i) in targets.iter().zip(items) {
                        bind_target(cx, *t, i.clone())?;
                    }
                }
                _ => {
                    let item = element(cx, &v, target)?;
                    for t in targets {
                        bind_target(cx, t, item.clone())?;
                    }
                }
            }
            Ok(())
        }
        "list_splat_pattern" => {
            for t in named_children(target) {
                bind_target(cx, t, Val::Data(None))?;
            }
            Ok(())
        }
        "parenthesized_expression" | "as_pattern_target" => match named_children(target).first() {
            Some(inner) => bind_target(cx, *inner, v),
            None => Ok(()),
        },
        "subscript" | "attribute" => {
            let object = target
                .child_by_field_name("value")
                .or_else(|| target.child_by_field_name("object"));
            let o = match object {
                Some(o) => expr(cx, o)?,
                None => Val::Unknown,
            };
            if o.is_data() && v.is_data() {
                Ok(())
            } else {
                stop(
                    format!(
                        "assigns to `{}`, which guard does not model",
                        cx.text(target)
                    ),
                    target,
                )
            }
        }
        other => stop(
            format!("assigns to a `{other}`, which guard does not model"),
            target,
        ),
    }
}

fn expr(cx: &mut Cx<'_>, node: Node<'_>) -> R<Val> {
    cx.nested(node, expr_inner)
}

fn expr_inner(cx: &mut Cx<'_>, node: Node<'_>) -> R<Val> {
    match node.kind() {
        "identifier" => {
            let name = cx.text(node);
            Ok(match cx.lookup(name) {
                Some(v) => v,
                None => cx.norm(Val::Name(name.to_string())),
            })
        }
        "string" => string(cx, node),
        "concatenated_string" => {
            let mut out = String::new();
            let mut literal = true;
            for part in named_children(node) {
                match expr(cx, part)? {
                    Val::Str(s) => out.push_str(&s),
                    _ => literal = false,
                }
            }
            Ok(if literal {
                Val::Str(out)
            } else {
                Val::Data(None)
            })
        }
        "integer" => Ok(integer(cx.text(node)).map_or(Val::Float, Val::Num)),
        "float" => Ok(Val::Float),
        "true" => Ok(Val::Bool(true)),
        "false" => Ok(Val::Bool(false)),
        "none" => Ok(Val::Null),
        "ellipsis" => Ok(Val::Data(None)),
        "list" | "tuple" | "set" | "expression_list" => {
            let mut items = vec![];
            let mut exact = true;
            for child in named_children(node) {
                if child.kind() == "list_splat" {
                    exact = false;
                    let v = expr(cx, field_or_first(child)?)?;
                    if !v.is_data() {
                        return stop("unpacks a value guard cannot follow", child);
                    }
                    continue;
                }
                items.push(expr(cx, child)?);
            }
            Ok(if exact {
                Val::List(items)
            } else if items.iter().all(Val::is_data) {
                Val::Data(None)
            } else {
                Val::Unknown
            })
        }
        "dictionary" => {
            let mut items = vec![];
            let mut exact = true;
            for child in named_children(node) {
                match child.kind() {
                    "pair" => {
                        let k = expr(cx, field(child, "key")?)?;
                        let v = expr(cx, field(child, "value")?)?;
                        match k.text() {
                            Some(k) => items.push((k, v)),
                            None => {
                                exact = false;
                                items.push((String::new(), v));
                            }
                        }
                    }
                    _ => {
                        exact = false;
                        let v = expr(cx, field_or_first(child)?)?;
                        if v == Val::Obj(Obj::Env) {
                            cx.emit(super::Effect::Argv(vec!["env".to_string()]), child);
                        } else if !v.is_data() {
                            return stop("unpacks a value guard cannot follow", child);
                        }
                    }
                }
            }
            Ok(if exact {
                Val::Dict(items)
            } else if items.iter().all(|(_, v)| v.is_data()) {
                Val::Data(None)
            } else {
                Val::Unknown
            })
        }
        "parenthesized_expression" => match named_children(node).first() {
            Some(inner) => expr(cx, *inner),
            None => Ok(Val::List(vec![])),
        },
        "attribute" => {
            let object = expr(cx, field(node, "object")?)?;
            let name = cx.text(field(node, "attribute")?).to_string();
            attribute(cx, object, &name, node)
        }
        "subscript" => {
            let value = expr(cx, field(node, "value")?)?;
            let mut cursor = node.walk();
            let subs: Vec<Node<'_>> = node
                .children_by_field_name("subscript", &mut cursor)
                .collect();
            let mut keys = vec![];
            for s in subs {
                keys.push(expr(cx, s)?);
            }
            Ok(match value {
                Val::List(items) => match keys.as_slice() {
                    [Val::Num(i)] => usize::try_from(*i)
                        .ok()
                        .and_then(|i| items.get(i).cloned())
                        .unwrap_or(Val::Data(None)),
                    _ if items.iter().all(Val::is_data) => Val::Data(None),
                    _ => Val::Unknown,
                },
                Val::Dict(items) => match keys.as_slice() {
                    [k] => match k.text() {
                        Some(k) => items
                            .iter()
                            .find(|(n, _)| *n == k)
                            .map(|(_, v)| v.clone())
                            .unwrap_or(Val::Data(None)),
                        None if items.iter().all(|(_, v)| v.is_data()) => Val::Data(None),
                        None => Val::Unknown,
                    },
                    _ => Val::Data(None),
                },
                v if v.is_data() => Val::Data(None),
                Val::Obj(Obj::Env) => Val::Data(None),
                Val::Obj(Obj::Db(..)) => Val::Data(None),
                _ => Val::Unknown,
            })
        }
        "slice" => {
            for child in named_children(node) {
                expr(cx, child)?;
            }
            Ok(Val::Data(None))
        }
        "call" => call(cx, node),
        "binary_operator" => {
            let l = expr(cx, field(node, "left")?)?;
            let r = expr(cx, field(node, "right")?)?;
            let op = cx.text(field(node, "operator")?);
            Ok(binary(&l, op, &r))
        }
        "boolean_operator" => {
            let l = expr(cx, field(node, "left")?)?;
            let r = expr(cx, field(node, "right")?)?;
            Ok(if l.is_data() && r.is_data() {
                Val::Data(None)
            } else {
                Val::Unknown
            })
        }
        "not_operator" | "comparison_operator" => {
            for child in named_children(node) {
                expr(cx, child)?;
            }
            Ok(Val::Data(None))
        }
        "unary_operator" => {
            let v = expr(cx, field(node, "argument")?)?;
            let op = node.child_by_field_name("operator").map(|o| cx.text(o));
            Ok(match (op, v) {
                (Some("-"), Val::Num(n)) => n.checked_neg().map_or(Val::Float, Val::Num),
                (Some("+"), Val::Num(n)) => Val::Num(n),
                (_, v) if v.is_data() => Val::Data(None),
                _ => Val::Unknown,
            })
        }
        "conditional_expression" => {
            let parts = named_children(node);
            let mut vals = vec![];
            for p in &parts {
                vals.push(expr(cx, *p)?);
            }
            Ok(match (vals.first(), vals.get(2)) {
                (Some(a), Some(b)) => join(a, b),
                _ => Val::Unknown,
            })
        }
        "assignment" => {
            let v = match node.child_by_field_name("right") {
                Some(right) => expr(cx, right)?,
                // `x: int` declares without assigning.
                None => return Ok(Val::Null),
            };
            bind_target(cx, field(node, "left")?, v.clone())?;
            Ok(v)
        }
        "augmented_assignment" => {
            let left = field(node, "left")?;
            let old = expr(cx, left)?;
            let r = expr(cx, field(node, "right")?)?;
            let op = cx.text(field(node, "operator")?);
            let v = binary(&old, op.trim_end_matches('='), &r);
            bind_target(cx, left, v.clone())?;
            Ok(v)
        }
        "named_expression" => {
            let v = expr(cx, field(node, "value")?)?;
            let name = cx.text(field(node, "name")?).to_string();
            cx.bind(&name, v.clone());
            Ok(v)
        }
        "await" => match named_children(node).first() {
            Some(inner) => {
                let v = expr(cx, *inner)?;
                Ok(if v.is_data() { Val::Data(None) } else { v })
            }
            None => Ok(Val::Unknown),
        },
        "lambda" => {
            let mut params = vec![];
            if let Some(ps) = node.child_by_field_name("parameters") {
                for p in named_children(ps) {
                    match p.kind() {
                        "identifier" => params.push(cx.text(p).to_string()),
                        "default_parameter" | "typed_default_parameter" => {
                            expr(cx, field(p, "value")?)?;
                            params.push(cx.text(field(p, "name")?).to_string());
                        }
                        "list_splat_pattern" | "dictionary_splat_pattern" => {
                            if let Some(i) = named_children(p).first() {
                                params.push(cx.text(*i).to_string());
                            }
                        }
                        "keyword_separator" | "positional_separator" => {}
                        other => {
                            return stop(
                                format!("has a lambda parameter guard does not model (`{other}`)"),
                                p,
                            );
                        }
                    }
                }
            }
            closure(cx, params, |cx| expr(cx, field(node, "body")?).map(|_| ()))?;
            Ok(Val::Func)
        }
        "list_comprehension"
        | "set_comprehension"
        | "dictionary_comprehension"
        | "generator_expression" => comprehension(cx, node),
        "keyword_argument" => {
            // Only inside argument lists; reached here for malformed code.
            stop("has a keyword argument outside a call", node)
        }
        other => stop(
            format!("uses Python syntax guard does not model (`{other}`)"),
            node,
        ),
    }
}

fn field_or_first<'t>(node: Node<'t>) -> R<Node<'t>> {
    match named_children(node).first() {
        Some(n) => Ok(*n),
        None => stop("code has an empty unpacking", node),
    }
}

/// Walks a closure body with `params` bound to data, seeing names bound more than once
/// widened (they may have changed by the time it runs), and restores the scope after.
fn closure(cx: &mut Cx<'_>, params: Vec<String>, body: impl FnOnce(&mut Cx<'_>) -> R<()>) -> R<()> {
    let saved = cx.vars.clone();
    for p in &params {
        cx.bind(p, Val::Data(None));
    }
    cx.params.push(params);
    let r = body(cx);
    cx.params.pop();
    cx.vars = saved;
    r
}

fn comprehension(cx: &mut Cx<'_>, node: Node<'_>) -> R<Val> {
    let lazy = node.kind() == "generator_expression";
    let parts = named_children(node);
    let mut names = vec![];
    for p in &parts {
        if p.kind() == "for_in_clause"
            && let Some(left) = p.child_by_field_name("left")
        {
            let mut stack = vec![left];
            while let Some(n) = stack.pop() {
                if n.kind() == "identifier" {
                    names.push(cx.text(n).to_string());
                }
                stack.extend(named_children(n));
            }
        }
    }
    let mut result = Val::Data(None);
    let run = |cx: &mut Cx<'_>, result: &mut Val| -> R<()> {
        for p in &parts {
            match p.kind() {
                "for_in_clause" => {
                    let iterable = expr(cx, field(*p, "right")?)?;
                    let item = element(cx, &iterable, *p)?;
                    bind_target(cx, field(*p, "left")?, item)?;
                }
                "if_clause" => {
                    for c in named_children(*p) {
                        expr(cx, c)?;
                    }
                }
                "pair" => {
                    let k = expr(cx, field(*p, "key")?)?;
                    let v = expr(cx, field(*p, "value")?)?;
                    if !k.is_data() || !v.is_data() {
                        *result = Val::Unknown;
                    }
                }
                _ => {
                    let v = expr(cx, *p)?;
                    if !v.is_data() {
                        *result = Val::Unknown;
                    }
                }
            }
        }
        Ok(())
    };
    if lazy {
        closure(cx, names, |cx| run(cx, &mut result))?;
    } else {
        let saved = cx.vars.clone();
        let r = run(cx, &mut result);
        cx.vars = saved;
        r?;
    }
    Ok(result)
}

fn binary(l: &Val, op: &str, r: &Val) -> Val {
    match (l, op, r) {
        (Val::Str(a), "+", Val::Str(b)) => Val::Str(format!("{a}{b}")),
        (Val::Num(a), "+", Val::Num(b)) => a.checked_add(*b).map_or(Val::Float, Val::Num),
        (Val::Num(a), "-", Val::Num(b)) => a.checked_sub(*b).map_or(Val::Float, Val::Num),
        (Val::Num(a), "*", Val::Num(b)) => a.checked_mul(*b).map_or(Val::Float, Val::Num),
        (Val::Obj(Obj::Path(p)), "/", r) => Val::Obj(Obj::Path(match (p, r.text()) {
            (Some(p), Some(part)) => Some(calls::join_path(p, &part)),
            _ => None,
        })),
        (l, _, r) if l.is_data() && r.is_data() => Val::Data(None),
        _ => Val::Unknown,
    }
}

fn attribute(cx: &mut Cx<'_>, object: Val, name: &str, node: Node<'_>) -> R<Val> {
    if name.starts_with('_') {
        return stop(
            format!("uses the attribute `{name}`, which guard does not model"),
            node,
        );
    }
    Ok(match object {
        Val::Name(q) => cx.norm(Val::Name(format!("{q}.{name}"))),
        v if v.is_data() => Val::Data(None),
        Val::Obj(Obj::Path(p)) => match calls::path_attribute(p.clone(), name) {
            Val::Unknown => Val::Method(Obj::Path(p), name.to_string()),
            v => v,
        },
        Val::Obj(Obj::Db(db, f)) => match name {
            "rowcount" | "description" | "lastrowid" | "closed" => Val::Data(None),
            _ => Val::Method(Obj::Db(db, f), name.to_string()),
        },
        Val::Obj(o) => Val::Method(o, name.to_string()),
        _ => Val::Unknown,
    })
}

fn args(cx: &mut Cx<'_>, node: Node<'_>) -> R<(Args, bool)> {
    let mut out = Args::default();
    let mut inexact = false;
    if node.kind() == "generator_expression" {
        out.pos.push(comprehension(cx, node)?);
        return Ok((out, false));
    }
    for a in named_children(node) {
        match a.kind() {
            "keyword_argument" => {
                let name = cx.text(field(a, "name")?).to_string();
                let v = expr(cx, field(a, "value")?)?;
                out.kw.push((name, v));
            }
            "list_splat" | "dictionary_splat" => {
                let v = expr(cx, field_or_first(a)?)?;
                match v {
                    Val::List(items) if a.kind() == "list_splat" => out.pos.extend(items),
                    Val::Dict(items) if a.kind() == "dictionary_splat" => out.kw.extend(items),
                    v => {
                        inexact = true;
                        out.pos.push(v);
                    }
                }
            }
            _ => {
                let v = expr(cx, a)?;
                out.pos.push(v);
            }
        }
    }
    Ok((out, inexact))
}

fn call(cx: &mut Cx<'_>, node: Node<'_>) -> R<Val> {
    let function = field(node, "function")?;
    if function.kind() == "attribute" {
        let object = expr(cx, field(function, "object")?)?;
        let name = cx.text(field(function, "attribute")?).to_string();
        if object.is_data() && !name.starts_with('_') {
            let (args, _) = args(cx, field(node, "arguments")?)?;
            return data_method(cx, &object, &name, args, node);
        }
        let callee = attribute(cx, object, &name, function)?;
        let (args, inexact) = args(cx, field(node, "arguments")?)?;
        return dispatch(cx, callee, args, inexact, node);
    }
    let callee = expr(cx, function)?;
    let (args, inexact) = args(cx, field(node, "arguments")?)?;
    dispatch(cx, callee, args, inexact, node)
}

fn dispatch(cx: &mut Cx<'_>, callee: Val, args: Args, inexact: bool, node: Node<'_>) -> R<Val> {
    match callee {
        Val::Name(q) => {
            let Some(kind) = cx.kind(&q) else {
                return stop(format!("calls `{q}`, which guard does not model"), node);
            };
            if q == "getattr" {
                return stop("calls `getattr`, which guard does not model", node);
            }
            if inexact && kind != Kind::Inert {
                return stop(
                    format!("calls `{q}` with unpacked arguments guard cannot follow"),
                    node,
                );
            }
            calls::call(cx, kind, &q, args, node)
        }
        v if v.is_data() => stop("calls a value guard cannot follow", node),
        Val::Method(obj, name) => {
            if inexact {
                return stop(
                    format!("calls `{name}` with unpacked arguments guard cannot follow"),
                    node,
                );
            }
            match obj {
                Obj::Env => calls::env_method(cx, &name, args, node),
                Obj::Db(db, f) => calls::db_method(cx, db, f, &name, args, node),
                Obj::Path(p) => calls::path_method(cx, p, &name, args, node),
            }
        }
        Val::Func => stop(
            "calls a lambda directly, which guard does not analyse",
            node,
        ),
        _ => stop("calls a value guard cannot follow", node),
    }
}

/// A data method: `x.strip()`, `f.read()`, `d.get(k)`.
fn data_method(cx: &mut Cx<'_>, object: &Val, name: &str, args: Args, node: Node<'_>) -> R<Val> {
    for v in args.pos.iter().chain(args.kw.iter().map(|(_, v)| v)) {
        check_arg(cx, v, node, name)?;
    }
    Ok(match (object, name) {
        (Val::Data(Some(f)), "read" | "readlines" | "readline" | "decode" | "strip") => {
            Val::Data(Some(f.clone()))
        }
        (Val::Str(sep), "join") => match args.pos.first() {
            Some(Val::List(items)) => match items.iter().map(Val::text).collect::<Option<Vec<_>>>()
            {
                Some(words) => Val::Str(words.join(sep)),
                None => Val::Data(None),
            },
            _ => Val::Data(None),
        },
        (Val::Str(s), "strip") if args.pos.is_empty() => Val::Str(s.trim().to_string()),
        _ => Val::Data(None),
    })
}

fn string(cx: &mut Cx<'_>, node: Node<'_>) -> R<Val> {
    let parts = named_children(node);
    let prefix = parts
        .first()
        .filter(|p| p.kind() == "string_start")
        .map(|p| {
            cx.text(*p)
                .trim_end_matches(['\'', '"'])
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let raw = prefix.contains('r');
    let fstring = prefix.contains('f') || prefix.contains('t');
    let mut out = String::new();
    let mut literal = true;
    for p in &parts {
        match p.kind() {
            "string_start" | "string_end" => {}
            "string_content" => {
                let text = cx.text(*p);
                let text = if fstring {
                    text.replace("{{", "{").replace("}}", "}")
                } else {
                    text.to_string()
                };
                if raw {
                    out.push_str(&text);
                } else {
                    match unescape(&text) {
                        Some(t) => out.push_str(&t),
                        None => literal = false,
                    }
                }
            }
            "interpolation" => {
                let Some(e) = p.child_by_field_name("expression") else {
                    return stop("has an f-string part guard does not model", *p);
                };
                let v = expr(cx, e)?;
                check_arg(cx, &v, *p, "str")?;
                let plain = p.child_by_field_name("format_specifier").is_none()
                    && p.child_by_field_name("type_conversion").is_none();
                match v {
                    Val::Str(s) if plain => out.push_str(&s),
                    Val::Num(n) if plain => out.push_str(&n.to_string()),
                    _ => literal = false,
                }
            }
            other => {
                return stop(
                    format!("has a string part guard does not model (`{other}`)"),
                    *p,
                );
            }
        }
    }
    Ok(if literal {
        Val::Str(out)
    } else {
        Val::Data(None)
    })
}

/// Python escape sequences; `None` for ones guard does not decode (`\N{…}`).
fn unescape(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(e) = chars.next() else {
            out.push('\\');
            break;
        };
        match e {
            '\n' => {}
            '\\' => out.push('\\'),
            '\'' => out.push('\''),
            '"' => out.push('"'),
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'f' => out.push('\x0c'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\x0b'),
            '0'..='7' => {
                let mut v = e.to_digit(8)?;
                for _ in 0..2 {
                    match chars.peek().and_then(|c| c.to_digit(8)) {
                        Some(d) => {
                            v = v * 8 + d;
                            chars.next();
                        }
                        None => break,
                    }
                }
                out.push(char::from_u32(v)?);
            }
            'x' | 'u' | 'U' => {
                let n = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let mut v = 0u32;
                for _ in 0..n {
                    v = v
                        .checked_mul(16)?
                        .checked_add(chars.next()?.to_digit(16)?)?;
                }
                out.push(char::from_u32(v)?);
            }
            'N' => return None,
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    Some(out)
}

fn integer(text: &str) -> Option<i64> {
    let t: String = text.chars().filter(|c| *c != '_').collect();
    let t = t.trim_end_matches(['l', 'L']);
    let lower = t.to_ascii_lowercase();
    if let Some(h) = lower.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()
    } else if let Some(o) = lower.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()
    } else if let Some(b) = lower.strip_prefix("0b") {
        i64::from_str_radix(b, 2).ok()
    } else if lower.len() > 1 && lower.starts_with('0') && lower.bytes().all(|b| b.is_ascii_digit())
    {
        // Python 2 octal (`0755`).
        i64::from_str_radix(&lower[1..], 8).ok()
    } else {
        lower.parse().ok()
    }
}
