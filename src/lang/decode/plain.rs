//! Plain service nodes (see [`crate::lang::vocabulary::Plain`]): their values are kept as
//! written, under the node's name, and written to compose under its key.

use super::Decoder;
use super::node::Node;
use crate::lang::model::*;
use crate::lang::vocabulary::{self, Context, Shape};

impl Decoder<'_> {
    pub(super) fn plain_node(&mut self, c: Node<'_>, body: &mut ServiceBody) -> bool {
        let Some(plain) = vocabulary::lookup(Context::Service, c.name()).and_then(|s| s.plain)
        else {
            return false;
        };
        let name = c.name().to_string();
        let mut values = c.arg_scalars();
        match plain.shape {
            Shape::Scalar => {
                if let Some((v, _)) = values.pop() {
                    body.plain
                        .insert((name, String::new()), c.setting(PlainValue::One(v)));
                }
            }
            Shape::List => {
                let many = values.into_iter().map(|(v, _)| v).collect();
                body.plain
                    .insert((name, String::new()), c.setting(PlainValue::Many(many)));
            }
            Shape::Map => {
                if let [(key, _), (value, _)] = values.as_slice() {
                    let key = key.text();
                    if let Some(prev) = body.plain.get(&(name.clone(), key.clone())) {
                        self.duplicate_key(&name, &key, c.head(), prev.span);
                    }
                    body.plain
                        .insert((name, key), c.setting(PlainValue::One(value.clone())));
                }
            }
        }
        true
    }
}
