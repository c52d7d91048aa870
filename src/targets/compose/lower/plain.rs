//! Plain nodes: each written under its compose key as it was written (a scalar, a list, or a
//! map of its entries), sorted by key with the other settings.

use serde_json::Value;

use crate::lang::model::*;
use crate::lang::vocabulary::{self, Context, Shape};

use super::ComposeService;

/// A scalar as compose reads it: strings stay strings, numbers and booleans keep their type.
pub(super) fn scalar(v: &Scalar) -> Value {
    match v {
        Scalar::String(s) => Value::String(s.clone()),
        Scalar::Integer(i) => Value::from(*i),
        Scalar::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        Scalar::Bool(b) => Value::Bool(*b),
    }
}

pub(super) fn lower(body: &ServiceBody, s: &mut ComposeService) {
    for ((node, entry), setting) in &body.plain {
        let Some(plain) = vocabulary::lookup(Context::Service, node).and_then(|n| n.plain) else {
            continue;
        };
        let key = plain.compose.to_string();
        match (&plain.shape, &setting.value) {
            (Shape::Map, PlainValue::One(v)) => {
                let map = s
                    .settings
                    .entry(key)
                    .or_insert_with(|| Value::Object(Default::default()));
                if let Value::Object(m) = map {
                    m.insert(entry.clone(), scalar(v));
                }
            }
            (_, PlainValue::One(v)) => {
                s.settings.insert(key, scalar(v));
            }
            (_, PlainValue::Many(vs)) => {
                s.settings
                    .insert(key, Value::Array(vs.iter().map(scalar).collect()));
            }
        }
    }
    // Map entries in name order, whatever order the bodies merged them in.
    for v in s.settings.values_mut() {
        if let Value::Object(m) = v {
            m.sort_keys();
        }
    }
}
