//! [`Hit`]: a rule firing at a byte offset of a part, before severities,
//! `-- strata:allow` and the existing-object logic decide whether it becomes
//! a [`Finding`](super::Finding).

use super::rule::Rule;

/// A rule firing at a byte offset of the part.
pub(super) struct Hit {
    pub(super) rule: Rule,
    pub(super) offset: usize,
    pub(super) why: String,
    pub(super) suggestion: String,
}
