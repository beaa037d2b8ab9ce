//! The JavaScript (Node) front end: walks a tree-sitter-javascript tree (see the module docs
//! of `script`).

use tree_sitter::Node;

use super::calls::{self, Args, check_arg};
use super::table::Kind;
use super::{Cx, Obj, R, Val, field, join, named_children, stop};

/// Properties that reach the `Function` constructor or rebind `this` on any value.
const BANNED: &[&str] = &[
    "constructor",
    "__proto__",
    "prototype",
    "call",
    "apply",
    "bind",
    "__defineGetter__",
    "__defineSetter__",
    "__lookupGetter__",
    "__lookupSetter__",
    "mainModule",
];

/// `printed`: the value of the last expression statement is printed (`node -p`).
pub(crate) fn program(cx: &mut Cx<'_>, root: Node<'_>, printed: bool) -> R<()> {
    count_bindings(cx, root);
    let statements = named_children(root);
    let last = statements
        .last()
        .copied()
        .filter(|s| printed && s.kind() == "expression_statement");
    for s in statements {
        match last {
            Some(l) if l.id() == s.id() => {
                let mut value = Val::Null;
                for child in named_children(s) {
                    value = expr(cx, child)?;
                }
                check_arg(cx, &value, s, "console.log")?;
            }
            _ => statement(cx, s)?,
        }
    }
    Ok(())
}

fn count_bindings(cx: &mut Cx<'_>, root: Node<'_>) {
    cx.count_bindings(
        root,
        |kind| kind == "catch_clause",
        |kind| matches!(kind, "identifier" | "shorthand_property_identifier_pattern"),
        |node| match node.kind() {
            "variable_declarator" => node.child_by_field_name("name"),
            "assignment_expression" | "augmented_assignment_expression" | "for_in_statement" => {
                node.child_by_field_name("left")
            }
            "update_expression" => node.child_by_field_name("argument"),
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
        "program" | "statement_block" => block(cx, node),
        "empty_statement" | "break_statement" | "continue_statement" | "hash_bang_line" => Ok(()),
        "return_statement" | "throw_statement" => {
            for child in named_children(node) {
                expr(cx, child)?;
            }
            Ok(())
        }
        "lexical_declaration" | "variable_declaration" => {
            for d in named_children(node) {
                if d.kind() != "variable_declarator" {
                    continue;
                }
                let v = match d.child_by_field_name("value") {
                    Some(value) => expr(cx, value)?,
                    None => Val::Null,
                };
                bind_pattern(cx, field(d, "name")?, v)?;
            }
            Ok(())
        }
        "if_statement" => {
            expr(cx, field(node, "condition")?)?;
            let consequence = field(node, "consequence")?;
            let alternative = node
                .child_by_field_name("alternative")
                .and_then(|a| named_children(a).first().copied());
            cx.branches(2, |cx, i| match (i, alternative) {
                (0, _) => statement(cx, consequence),
                (_, Some(alt)) => statement(cx, alt),
                _ => Ok(()),
            })
        }
        "for_statement" => {
            if let Some(init) = node.child_by_field_name("initializer") {
                statement_or_expr(cx, init)?;
            }
            let condition = node.child_by_field_name("condition");
            let increment = node.child_by_field_name("increment");
            let body = field(node, "body")?;
            cx.looped(|cx| {
                if let Some(c) = condition {
                    statement_or_expr(cx, c)?;
                }
                statement(cx, body)?;
                if let Some(i) = increment {
                    expr(cx, i)?;
                }
                Ok(())
            })
        }
        "for_in_statement" => {
            let left = field(node, "left")?;
            let iterable = expr(cx, field(node, "right")?)?;
            let body = field(node, "body")?;
            let of = node
                .child_by_field_name("operator")
                .is_some_and(|o| cx.text(o) == "of");
            match &iterable {
                Val::List(items)
                    if of && items.len() <= 16 && items.iter().all(Val::is_literal) =>
                {
                    for item in items {
                        bind_pattern(cx, left, item.clone())?;
                        statement(cx, body)?;
                    }
                    Ok(())
                }
                _ => {
                    let item = if of {
                        element(cx, &iterable, node)?
                    } else {
                        if iterable == Val::Obj(Obj::Env) {
                            cx.emit(super::Effect::Argv(vec!["env".to_string()]), node);
                        } else if !iterable.is_data() {
                            return stop("iterates over a value guard cannot follow", node);
                        }
                        Val::Data(None)
                    };
                    cx.looped(|cx| {
                        bind_pattern(cx, left, item.clone())?;
                        statement(cx, body)
                    })
                }
            }
        }
        "while_statement" | "do_statement" => {
            let condition = field(node, "condition")?;
            let body = field(node, "body")?;
            cx.looped(|cx| {
                expr(cx, condition)?;
                statement(cx, body)
            })
        }
        "try_statement" => {
            let before = cx.vars.clone();
            statement(cx, field(node, "body")?)?;
            cx.vars = super::join_scopes(&before, &cx.vars);
            if let Some(handler) = node.child_by_field_name("handler") {
                if let Some(p) = handler.child_by_field_name("parameter") {
                    bind_pattern(cx, p, Val::Data(None))?;
                }
                statement(cx, field(handler, "body")?)?;
            }
            if let Some(fin) = node.child_by_field_name("finalizer") {
                statement(cx, field(fin, "body")?)?;
            }
            Ok(())
        }
        "function_declaration" | "generator_function_declaration" => {
            stop("defines a function, which guard does not analyse", node)
        }
        "class_declaration" => stop("defines a class, which guard does not analyse", node),
        "import_statement" => stop("uses an ES module import, which guard does not model", node),
        other => stop(
            format!("uses JavaScript syntax guard does not model (`{other}`)"),
            node,
        ),
    }
}

fn statement_or_expr(cx: &mut Cx<'_>, node: Node<'_>) -> R<()> {
    match node.kind() {
        "lexical_declaration"
        | "variable_declaration"
        | "expression_statement"
        | "empty_statement" => statement(cx, node),
        _ => expr(cx, node).map(|_| ()),
    }
}

/// A table name as a value: constants are data, the environment is its object.
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
        _ => stop("iterates over a value guard cannot follow", node),
    }
}

/// A property of a value (`a.b`, `a['b']`, `const {b} = a`).
fn member(cx: &mut Cx<'_>, object: Val, name: &str, node: Node<'_>) -> R<Val> {
    if BANNED.contains(&name) {
        return stop(
            format!("uses the property `{name}`, which guard does not model"),
            node,
        );
    }
    Ok(match object {
        Val::Name(q) => cx.norm(Val::Name(format!("{q}.{name}"))),
        Val::List(items) => match name.parse::<usize>() {
            Ok(i) => items.get(i).cloned().unwrap_or(Val::Null),
            Err(_) if items.iter().all(Val::is_data) => Val::Data(None),
            Err(_) => Val::Unknown,
        },
        Val::Dict(items) => match items.iter().find(|(k, _)| k == name) {
            Some((_, v)) => v.clone(),
            None if items.iter().all(|(_, v)| v.is_data()) => Val::Data(None),
            None => Val::Unknown,
        },
        v if v.is_data() => Val::Data(None),
        Val::Obj(Obj::Env) => Val::Data(None),
        Val::Obj(o) => Val::Method(o, name.to_string()),
        _ => Val::Unknown,
    })
}

fn bind_pattern(cx: &mut Cx<'_>, target: Node<'_>, v: Val) -> R<()> {
    match target.kind() {
        "identifier" | "shorthand_property_identifier_pattern" => {
            let name = cx.text(target).to_string();
            cx.bind(&name, v);
            Ok(())
        }
        "object_pattern" => {
            for p in named_children(target) {
                match p.kind() {
                    "shorthand_property_identifier_pattern" => {
                        let name = cx.text(p).to_string();
                        let m = member(cx, v.clone(), &name, p)?;
                        cx.bind(&name, m);
                    }
                    "pair_pattern" => {
                        let key = field(p, "key")?;
                        let name = match key.kind() {
                            "property_identifier" => cx.text(key).to_string(),
                            _ => match expr(cx, key)?.text() {
                                Some(t) => t,
                                None => {
                                    return stop("destructures a property guard cannot name", key);
                                }
                            },
                        };
                        let m = member(cx, v.clone(), &name, p)?;
                        bind_pattern(cx, field(p, "value")?, m)?;
                    }
                    "object_assignment_pattern" => {
                        let default = expr(cx, field(p, "right")?)?;
                        let left = field(p, "left")?;
                        let name = cx.text(left).to_string();
                        let m = member(cx, v.clone(), &name, p)?;
                        bind_pattern(cx, left, join(&m, &default))?;
                    }
                    "rest_pattern" => {
                        let rest = if v.is_data() {
                            Val::Data(None)
                        } else {
                            Val::Unknown
                        };
                        for t in named_children(p) {
                            bind_pattern(cx, t, rest.clone())?;
                        }
                    }
                    other => {
                        return stop(
                            format!("destructures with a `{other}`, which guard does not model"),
                            p,
                        );
                    }
                }
            }
            Ok(())
        }
        "array_pattern" => {
            let targets = named_children(target);
            for (i, t) in targets.iter().enumerate() {
                let item = match &v {
                    Val::List(items) => items.get(i).cloned().unwrap_or(Val::Null),
                    other => element(cx, other, *t)?,
                };
                bind_pattern(cx, *t, item)?;
            }
            Ok(())
        }
        "assignment_pattern" => {
            let default = expr(cx, field(target, "right")?)?;
            bind_pattern(cx, field(target, "left")?, join(&v, &default))
        }
        "rest_pattern" => {
            for t in named_children(target) {
                bind_pattern(
                    cx,
                    t,
                    if v.is_data() {
                        Val::Data(None)
                    } else {
                        Val::Unknown
                    },
                )?;
            }
            Ok(())
        }
        "member_expression" | "subscript_expression" => {
            let o = expr(cx, field(target, "object")?)?;
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
        "parenthesized_expression" => match named_children(target).first() {
            Some(inner) => bind_pattern(cx, *inner, v),
            None => Ok(()),
        },
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
        "undefined" | "null" => Ok(Val::Null),
        "true" => Ok(Val::Bool(true)),
        "false" => Ok(Val::Bool(false)),
        "number" => Ok(number(cx.text(node)).map_or(Val::Float, Val::Num)),
        "regex" => Ok(Val::Data(None)),
        "string" => string(cx, node),
        "template_string" => template(cx, node),
        "array" => {
            let mut items = vec![];
            let mut exact = true;
            for child in named_children(node) {
                if child.kind() == "spread_element" {
                    exact = false;
                    let v = expr(cx, first(child)?)?;
                    if !v.is_data() {
                        return stop("spreads a value guard cannot follow", child);
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
        "object" => object(cx, node),
        "parenthesized_expression" | "sequence_expression" => {
            let mut last = Val::Null;
            for child in named_children(node) {
                last = expr(cx, child)?;
            }
            Ok(last)
        }
        "member_expression" => {
            let object = expr(cx, field(node, "object")?)?;
            let name = cx.text(field(node, "property")?).to_string();
            member(cx, object, &name, node)
        }
        "subscript_expression" => {
            let object = expr(cx, field(node, "object")?)?;
            let index = expr(cx, field(node, "index")?)?;
            match index.text() {
                Some(name) => member(cx, object, &name, node),
                // A computed property can name anything, `constructor` included.
                None => Ok(match object {
                    Val::Obj(Obj::Env) => Val::Data(None),
                    _ => Val::Unknown,
                }),
            }
        }
        "call_expression" => call(cx, node),
        "new_expression" => {
            let constructor = expr(cx, field(node, "constructor")?)?;
            let args = match node.child_by_field_name("arguments") {
                Some(a) => arguments(cx, a)?,
                None => Args::default(),
            };
            match constructor {
                Val::Name(q) => match cx.kind(&q) {
                    Some(kind @ (Kind::Inert | Kind::Database(_))) => {
                        calls::call(cx, kind, &q, args, node)
                    }
                    _ => stop(
                        format!("constructs `{q}`, which guard does not model"),
                        node,
                    ),
                },
                _ => stop("constructs a value guard cannot follow", node),
            }
        }
        "arrow_function" | "function_expression" | "function" => {
            let mut params = vec![];
            if let Some(p) = node.child_by_field_name("parameter") {
                params.push(cx.text(p).to_string());
            }
            if let Some(ps) = node.child_by_field_name("parameters") {
                for p in named_children(ps) {
                    let mut stack = vec![p];
                    while let Some(n) = stack.pop() {
                        match n.kind() {
                            "identifier" | "shorthand_property_identifier_pattern" => {
                                params.push(cx.text(n).to_string())
                            }
                            "assignment_pattern" | "object_assignment_pattern" => {
                                if let Some(r) = n.child_by_field_name("right") {
                                    expr(cx, r)?;
                                }
                                if let Some(l) = n.child_by_field_name("left") {
                                    stack.push(l);
                                }
                            }
                            "pair_pattern" => {
                                if let Some(v) = n.child_by_field_name("value") {
                                    stack.push(v);
                                }
                            }
                            _ => stack.extend(named_children(n)),
                        }
                    }
                }
            }
            let body = field(node, "body")?;
            let saved = cx.vars.clone();
            for p in &params {
                cx.bind(p, Val::Data(None));
            }
            cx.params.push(params);
            let r = if body.kind() == "statement_block" {
                statement(cx, body)
            } else {
                expr(cx, body).map(|_| ())
            };
            cx.params.pop();
            cx.vars = saved;
            r?;
            Ok(Val::Func)
        }
        "await_expression" => {
            let v = expr(cx, first(node)?)?;
            Ok(if v.is_data() { Val::Data(None) } else { v })
        }
        "binary_expression" => {
            let l = expr(cx, field(node, "left")?)?;
            let r = expr(cx, field(node, "right")?)?;
            let op = cx.text(field(node, "operator")?);
            Ok(match (&l, op, &r) {
                (Val::Str(a), "+", Val::Str(b)) => Val::Str(format!("{a}{b}")),
                (Val::Str(a), "+", Val::Num(b)) => Val::Str(format!("{a}{b}")),
                (Val::Num(a), "+", Val::Str(b)) => Val::Str(format!("{a}{b}")),
                (Val::Num(a), "+", Val::Num(b)) => a.checked_add(*b).map_or(Val::Float, Val::Num),
                (
                    _,
                    "==" | "===" | "!=" | "!==" | "<" | ">" | "<=" | ">=" | "in" | "instanceof",
                    _,
                ) => Val::Data(None),
                (l, _, r) if l.is_data() && r.is_data() => Val::Data(None),
                _ => Val::Unknown,
            })
        }
        "unary_expression" => {
            let v = expr(cx, field(node, "argument")?)?;
            let op = cx.text(field(node, "operator")?);
            Ok(match (op, v) {
                ("-", Val::Num(n)) => n.checked_neg().map_or(Val::Float, Val::Num),
                ("delete", _) => {
                    return stop("deletes a property, which guard does not model", node);
                }
                ("typeof" | "!" | "void", _) => Val::Data(None),
                (_, v) if v.is_data() => Val::Data(None),
                _ => Val::Unknown,
            })
        }
        "update_expression" => {
            let arg = field(node, "argument")?;
            let v = expr(cx, arg)?;
            if arg.kind() == "identifier" && v.is_data() {
                let name = cx.text(arg).to_string();
                cx.bind(&name, Val::Data(None));
                Ok(Val::Data(None))
            } else {
                stop("updates a value guard cannot follow", node)
            }
        }
        "ternary_expression" => {
            expr(cx, field(node, "condition")?)?;
            let a = expr(cx, field(node, "consequence")?)?;
            let b = expr(cx, field(node, "alternative")?)?;
            Ok(join(&a, &b))
        }
        "assignment_expression" => {
            let v = expr(cx, field(node, "right")?)?;
            bind_pattern(cx, field(node, "left")?, v.clone())?;
            Ok(v)
        }
        "augmented_assignment_expression" => {
            let left = field(node, "left")?;
            let old = expr(cx, left)?;
            let r = expr(cx, field(node, "right")?)?;
            let v = match (&old, cx.text(field(node, "operator")?), &r) {
                (Val::Str(a), "+=", Val::Str(b)) => Val::Str(format!("{a}{b}")),
                (a, _, b) if a.is_data() && b.is_data() => Val::Data(None),
                _ => Val::Unknown,
            };
            bind_pattern(cx, left, v.clone())?;
            Ok(v)
        }
        "this" => Ok(Val::Unknown),
        other => stop(
            format!("uses JavaScript syntax guard does not model (`{other}`)"),
            node,
        ),
    }
}

fn first<'t>(node: Node<'t>) -> R<Node<'t>> {
    match named_children(node).first() {
        Some(n) => Ok(*n),
        None => stop(format!("code has an empty `{}`", node.kind()), node),
    }
}

fn object(cx: &mut Cx<'_>, node: Node<'_>) -> R<Val> {
    let mut items = vec![];
    let mut exact = true;
    let mut env = false;
    for p in named_children(node) {
        match p.kind() {
            "pair" => {
                let key = field(p, "key")?;
                let name = match key.kind() {
                    "property_identifier" => Some(cx.text(key).to_string()),
                    "computed_property_name" => expr(cx, first(key)?)?.text(),
                    _ => expr(cx, key)?.text(),
                };
                let v = expr(cx, field(p, "value")?)?;
                match name {
                    Some(n) => items.push((n, v)),
                    None => {
                        exact = false;
                        items.push((String::new(), v));
                    }
                }
            }
            "shorthand_property_identifier" => {
                let name = cx.text(p).to_string();
                let v = cx
                    .lookup(&name)
                    .unwrap_or_else(|| cx.norm(Val::Name(name.clone())));
                items.push((name, v));
            }
            "spread_element" => {
                let v = expr(cx, first(p)?)?;
                if v == Val::Obj(Obj::Env) {
                    env = true;
                } else if !v.is_data() {
                    return stop("spreads a value guard cannot follow", p);
                }
                exact = false;
            }
            other => {
                return stop(
                    format!("has an object member guard does not model (`{other}`)"),
                    p,
                );
            }
        }
    }
    Ok(if env {
        // `{...process.env, X: '1'}`: an environment passed on, like `process.env` itself.
        if items.iter().all(|(_, v)| v.is_data()) {
            Val::Obj(Obj::Env)
        } else {
            Val::Unknown
        }
    } else if exact {
        Val::Dict(items)
    } else if items.iter().all(|(_, v)| v.is_data()) {
        Val::Data(None)
    } else {
        Val::Unknown
    })
}

fn arguments(cx: &mut Cx<'_>, node: Node<'_>) -> R<Args> {
    let mut out = Args::default();
    for a in named_children(node) {
        if a.kind() == "spread_element" {
            let v = expr(cx, first(a)?)?;
            match v {
                Val::List(items) => out.pos.extend(items),
                _ => return stop("spreads arguments guard cannot follow", a),
            }
            continue;
        }
        out.pos.push(expr(cx, a)?);
    }
    Ok(out)
}

/// `(async () => {…})()`: the function's body was analysed where it is written.
fn is_function_literal(node: Node<'_>) -> bool {
    let mut n = node;
    while n.kind() == "parenthesized_expression" {
        match named_children(n).first() {
            Some(inner) => n = *inner,
            None => return false,
        }
    }
    matches!(
        n.kind(),
        "arrow_function" | "function_expression" | "function"
    )
}

fn call(cx: &mut Cx<'_>, node: Node<'_>) -> R<Val> {
    let function = field(node, "function")?;
    if function.kind() == "import" {
        return stop(
            "imports a module at run time, which guard does not model",
            node,
        );
    }
    if function.kind() == "member_expression" {
        let object_node = field(function, "object")?;
        let name = cx.text(field(function, "property")?).to_string();
        // `(async () => {…})().catch(…)`
        let iife = object_node.kind() == "call_expression"
            && object_node
                .child_by_field_name("function")
                .is_some_and(is_function_literal);
        let object = expr(cx, object_node)?;
        let object = if iife && matches!(name.as_str(), "then" | "catch" | "finally") {
            Val::Data(None)
        } else {
            object
        };
        if object.is_data() {
            if BANNED.contains(&name.as_str()) {
                return stop(
                    format!("uses the property `{name}`, which guard does not model"),
                    function,
                );
            }
            let args = arguments(cx, field(node, "arguments")?)?;
            for v in &args.pos {
                check_arg(cx, v, node, &name)?;
            }
            return Ok(match (&object, name.as_str()) {
                (Val::Data(Some(f)), "toString" | "trim" | "split") => Val::Data(Some(f.clone())),
                (Val::List(items), "join") => match args.pos.first() {
                    Some(Val::Str(sep)) => {
                        match items.iter().map(Val::text).collect::<Option<Vec<_>>>() {
                            Some(words) => Val::Str(words.join(sep)),
                            None => Val::Data(None),
                        }
                    }
                    _ => Val::Data(None),
                },
                _ => Val::Data(None),
            });
        }
        let callee = member(cx, object, &name, function)?;
        let args = arguments(cx, field(node, "arguments")?)?;
        return dispatch(cx, callee, args, node);
    }
    let literal_function = is_function_literal(function);
    let callee = expr(cx, function)?;
    let args = arguments(cx, field(node, "arguments")?)?;
    if literal_function && callee == Val::Func {
        for v in &args.pos {
            if !v.is_data() {
                return stop("passes a value guard cannot follow to a function", node);
            }
        }
        // Its result is whatever it returns, which guard does not follow.
        return Ok(Val::Unknown);
    }
    dispatch(cx, callee, args, node)
}

fn dispatch(cx: &mut Cx<'_>, callee: Val, args: Args, node: Node<'_>) -> R<Val> {
    match callee {
        Val::Name(q) => match cx.kind(&q) {
            Some(kind) => calls::call(cx, kind, &q, args, node),
            None => stop(format!("calls `{q}`, which guard does not model"), node),
        },
        Val::Method(obj, name) => match obj {
            Obj::Env => calls::env_method(cx, &name, args, node),
            Obj::Db(db, f) => calls::db_method(cx, db, f, &name, args, node),
            Obj::Path(p) => calls::path_method(cx, p, &name, args, node),
        },
        Val::Func => stop("calls a function value, which guard does not analyse", node),
        _ => stop("calls a value guard cannot follow", node),
    }
}

fn string(cx: &mut Cx<'_>, node: Node<'_>) -> R<Val> {
    let mut out = String::new();
    for p in named_children(node) {
        match p.kind() {
            "string_fragment" => out.push_str(cx.text(p)),
            "escape_sequence" => match unescape(cx.text(p)) {
                Some(s) => out.push_str(&s),
                None => return Ok(Val::Data(None)),
            },
            _ => return Ok(Val::Data(None)),
        }
    }
    Ok(Val::Str(out))
}

fn template(cx: &mut Cx<'_>, node: Node<'_>) -> R<Val> {
    let mut out = String::new();
    let mut literal = true;
    for p in named_children(node) {
        match p.kind() {
            "string_fragment" => out.push_str(cx.text(p)),
            "escape_sequence" => match unescape(cx.text(p)) {
                Some(s) => out.push_str(&s),
                None => literal = false,
            },
            "template_substitution" => {
                let v = expr(cx, first(p)?)?;
                check_arg(cx, &v, p, "String")?;
                match v {
                    Val::Str(s) => out.push_str(&s),
                    Val::Num(n) => out.push_str(&n.to_string()),
                    _ => literal = false,
                }
            }
            other => {
                return stop(
                    format!("has a template part guard does not model (`{other}`)"),
                    p,
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

/// One JavaScript escape sequence (`\n`, `\x41`, `\u{1F600}`).
fn unescape(seq: &str) -> Option<String> {
    let body = seq.strip_prefix('\\')?;
    let mut chars = body.chars();
    let c = chars.next()?;
    let rest: String = chars.collect();
    Some(match c {
        'n' => "\n".into(),
        't' => "\t".into(),
        'r' => "\r".into(),
        'b' => "\x08".into(),
        'f' => "\x0c".into(),
        'v' => "\x0b".into(),
        '0' if rest.is_empty() => "\0".into(),
        '\n' | '\r' | '\u{2028}' | '\u{2029}' => String::new(),
        'x' => char::from_u32(u32::from_str_radix(&rest, 16).ok()?)?.to_string(),
        'u' => {
            let hex = rest.trim_start_matches('{').trim_end_matches('}');
            char::from_u32(u32::from_str_radix(hex, 16).ok()?)?.to_string()
        }
        '1'..='9' => return None,
        other => format!("{other}{rest}"),
    })
}

fn number(text: &str) -> Option<i64> {
    let t: String = text.chars().filter(|c| *c != '_').collect();
    let lower = t.to_ascii_lowercase();
    if let Some(h) = lower.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()
    } else if let Some(o) = lower.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()
    } else if let Some(b) = lower.strip_prefix("0b") {
        i64::from_str_radix(b, 2).ok()
    } else if lower.len() > 1
        && lower.starts_with('0')
        && lower.bytes().all(|b| (b'0'..=b'7').contains(&b))
    {
        // Legacy octal (`0755`).
        i64::from_str_radix(&lower[1..], 8).ok()
    } else {
        lower.parse().ok()
    }
}
