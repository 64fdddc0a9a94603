//! The catalyst-guard rules in the browser (work in progress).
