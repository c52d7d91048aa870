//! The compose keys the language writes as they are (plain nodes): found in the vocabulary by
//! their compose key, so every plain node the language gains is imported without a change here.

use super::{Cx, N, V, int_or_string, pairs, strings, typed};
use crate::import::yaml::Node;
use crate::lang::vocabulary::{self, Context, NodeSpec, Shape, ValueType};

pub(super) fn convert(cx: &mut Cx<'_>, key: &str, v: &Node, out: &mut Vec<N>) -> bool {
    let Some(spec) = vocabulary::NODES.iter().find(|n| {
        n.contexts.contains(&Context::Service) && n.plain.is_some_and(|p| p.compose == key)
    }) else {
        return false;
    };
    let shape = spec.plain.map(|p| p.shape).unwrap_or(Shape::Scalar);
    match shape {
        Shape::Scalar => {
            let value = scalar(spec, v);
            let mut n = N::new(spec.name).arg(value.clone());
            if spec.exception.applies_to(&value.text()) {
                let r = cx.reason(&format!("`{key}: {}`", value.text()), v.span);
                n.set("reason", r);
            }
            out.push(n);
        }
        Shape::List => {
            let items: Vec<V> = match v.as_seq() {
                Some(items) => items.iter().map(|i| scalar(spec, i)).collect(),
                None => strings(cx, key, v).into_iter().map(V::S).collect(),
            };
            if items.is_empty() {
                return true;
            }
            let mut n = N::new(spec.name).args(items);
            if !spec.exception.is_never() {
                let r = cx.reason(&format!("`{key}`"), v.span);
                n.set("reason", r);
            }
            out.push(n);
        }
        Shape::Map => {
            for (k, value, at) in pairs(cx, key, v) {
                let mut n = N::new(spec.name)
                    .arg(k.as_str())
                    .arg(value.unwrap_or_default());
                if !spec.exception.is_never() {
                    let r = cx.reason(&format!("`{key}: {k}`"), at);
                    n.set("reason", r);
                }
                out.push(n);
            }
        }
    }
    true
}

/// A value of the type the node's argument takes: a number or boolean kept as one (a
/// `${VAR:-1}` stays a string), text as text.
fn scalar(spec: &NodeSpec, v: &Node) -> V {
    match spec.args.ty {
        ValueType::Integer | ValueType::Port => int_or_string(v),
        ValueType::Bool | ValueType::Number | ValueType::Scalar | ValueType::CountOrAll => typed(v),
        ValueType::SizeOrUnlimited => match int_or_string(v) {
            V::I(-1) => V::I(-1),
            _ => V::S(v.string().unwrap_or_default()),
        },
        _ => V::S(v.string().unwrap_or_default()),
    }
}
