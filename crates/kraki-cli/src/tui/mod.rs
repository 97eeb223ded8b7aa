//! The live terminal view shared by `kraki demo` and `kraki book`.

pub(crate) mod state;
pub(crate) mod view;
