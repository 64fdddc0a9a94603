//! A real control plane for catalyst-guard's suite: kube-apiserver, etcd and
//! helm-controller built from Go modules, a fault proxy between the controller and the
//! API server, and the recovery scenarios run against them (`cargo xtask e2e`).
//!
//! [`gobuild`] builds a package of a pinned Go module version once into the user's
//! cache; [`pins`] names the builds the suite uses (xtask builds `helm` with it too).

pub mod gobuild;
mod gomod;
mod goproxy;
pub mod pins;
