//! Kubewarden admission policy (work in progress).
