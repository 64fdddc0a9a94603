//! The pinned Go builds the suite uses, in one place.

use crate::gobuild::GoBuild;

/// The Kubernetes release kube-apiserver is built from.
pub const KUBERNETES: &str = "v1.36.2";

/// helm-controller versions the scenarios run against: the nearest buildable release
/// to v1.1.0 (what a real Sovereign runs; the proxy refuses v1.1.x and v1.2.x) and the
/// newest v1.6.x the proxy serves.
pub const HELM_CONTROLLERS: [&str; 2] = ["v1.0.1", "v1.6.4"];

/// The Helm release `helm` is built from.
pub const HELM: &str = "v4.3.2";

/// kube-apiserver from `k8s.io/kubernetes`. Its go.mod replaces every staging module
/// (`k8s.io/api` ...) with `./staging/src/...`; the wrapper pins each at `v0.<minor>.<patch>`.
pub fn kube_apiserver() -> GoBuild {
    let staging = format!("v0{}", &KUBERNETES[KUBERNETES.find('.').unwrap_or(0)..]);
    GoBuild {
        name: "kube-apiserver".into(),
        module: "k8s.io/kubernetes".into(),
        version: KUBERNETES.into(),
        package: "k8s.io/kubernetes/cmd/kube-apiserver".into(),
        // Without gitVersion, discovery reports v0.0.0 and clients see a version skew.
        ldflags: format!(
            "-s -w -X k8s.io/component-base/version.gitVersion={KUBERNETES} \
             -X k8s.io/client-go/pkg/version.gitVersion={KUBERNETES}"
        ),
        local_version: Some(staging),
        replaces: vec![],
    }
}

/// helm-controller at `version` (its main package is the module root; its `./api`
/// replace is the `api` submodule at the same version).
pub fn helm_controller(version: &str) -> GoBuild {
    GoBuild {
        name: "helm-controller".into(),
        module: "github.com/fluxcd/helm-controller".into(),
        version: version.into(),
        package: "github.com/fluxcd/helm-controller".into(),
        ldflags: "-s -w".into(),
        local_version: Some(version.into()),
        replaces: vec![],
    }
}

/// The `helm` command (Helm 4).
pub fn helm() -> GoBuild {
    GoBuild {
        name: "helm".into(),
        module: "helm.sh/helm/v4".into(),
        version: HELM.into(),
        package: "helm.sh/helm/v4/cmd/helm".into(),
        ldflags: format!("-s -w -X helm.sh/helm/v4/internal/version.version={HELM}"),
        local_version: None,
        replaces: vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kube_apiserver_pins_staging_modules_at_the_matching_v0_release() {
        assert_eq!(kube_apiserver().local_version.as_deref(), Some("v0.36.2"));
    }
}
