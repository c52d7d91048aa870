//! A service as the audit rules see it in one profile: its shape, the class that applies (only
//! in hardened profiles, never for `exempt`), its exemption, and the profile's reachability.

use std::collections::BTreeMap;

use crate::analysis::reachability::Reachability;
use crate::lang::model::*;
use crate::lang::source::{Span, Spanned};

use super::Finding;
use super::rules::Rule;

pub(super) struct Subject<'a> {
    pub profile: &'a Profile,
    pub name: &'a str,
    /// The service's name node: the place of findings about a missing setting.
    pub node: Span,
    pub body: &'a ServiceBody,
    pub class: Option<&'a ClassBody>,
    pub class_name: Option<&'a str>,
    /// The reason of `hardening "exempt"`, which accepts every finding of the service.
    pub exempt: Option<&'a Spanned<String>>,
    pub reach: &'a Reachability,
    /// Named volumes and the services of the profile that mount them.
    pub volume_users: &'a BTreeMap<&'a str, Vec<&'a str>>,
}

impl<'a> Subject<'a> {
    /// The service's own setting, else its class's (the lowering's rule).
    pub fn pick<T: 'a>(
        &self,
        own: &'a Option<Setting<T>>,
        class: impl Fn(&'a ClassBody) -> &'a Option<Setting<T>>,
    ) -> Option<&'a Setting<T>> {
        own.as_ref()
            .or_else(|| self.class.and_then(|c| class(c).as_ref()))
    }

    /// Where a missing setting should have come from: the class when one applies, else the
    /// service.
    pub fn missing_at(&self) -> Span {
        self.node
    }

    pub fn finding(&self, rule: &'static Rule, span: Span, message: impl Into<String>) -> Finding {
        Finding::new(rule, self, span, message)
    }

    /// Whether the class sets this setting itself (so a service that loosens it without a
    /// reason is already an error of the class rules).
    pub fn class_sets<T: 'a>(
        &self,
        class: impl Fn(&'a ClassBody) -> &'a Option<Setting<T>>,
    ) -> bool {
        self.class.is_some_and(|c| class(c).is_some())
    }

    /// Whether the class's `require` list holds this entry.
    pub fn class_requires(&self, what: &str) -> bool {
        self.class
            .and_then(|c| c.require.as_ref())
            .is_some_and(|r| r.value.iter().any(|x| x.value == what))
    }
}
