//! `deploy/` renders with `kubectl kustomize`, lints clean with `catalyst-guard lint`,
//! grants exactly the permissions `recover` uses, and runs the CronJob hardened.
#![cfg(test)] // Test code throughout: clippy.toml lets tests `expect`, helpers included.

use std::path::Path;
use std::process::Command;

use catalyst_guard::recovery::RecoveryConfig;
use catalyst_guard::yaml::{self, Node};

fn render() -> String {
    let deploy = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy"));
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(deploy)
        .output()
        .expect("kubectl is installed (it renders deploy/)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn strings(node: Option<Node<'_>>) -> Vec<String> {
    node.map(|n| {
        n.items()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect()
    })
    .unwrap_or_default()
}

#[test]
fn the_rendered_deploy_base_lints_clean() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("rendered.yaml"), render()).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_catalyst-guard"))
        .arg("lint")
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn rbac_is_exactly_what_recover_needs_and_the_cronjob_is_hardened() {
    let text = render();
    let parsed = yaml::parse(&text);
    assert!(parsed.error.is_none());
    let roots: Vec<Node<'_>> = parsed.documents.iter().filter_map(|d| d.root()).collect();
    let kind = |k: &str| {
        roots
            .iter()
            .copied()
            .find(|r| r.str_at(&["kind"]) == Some(k))
            .unwrap_or_else(|| panic!("no {k}"))
    };

    let role = kind("ClusterRole");
    let mut rules: Vec<(Vec<String>, Vec<String>, Vec<String>)> = role
        .get("rules")
        .expect("rules")
        .items()
        .map(|r| {
            (
                strings(r.get("apiGroups")),
                strings(r.get("resources")),
                strings(r.get("verbs")),
            )
        })
        .collect();
    rules.sort();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(
        rules,
        vec![
            (s(&[""]), s(&["secrets"]), s(&["list"])),
            (s(&["events.k8s.io"]), s(&["events"]), s(&["create"])),
            (
                s(&["helm.toolkit.fluxcd.io"]),
                s(&["helmreleases"]),
                s(&["get", "list", "patch"])
            ),
            (
                s(&["helm.toolkit.fluxcd.io"]),
                s(&["helmreleases/status"]),
                s(&["patch"])
            ),
        ]
    );

    let cron = kind("CronJob");
    assert_eq!(cron.str_at(&["spec", "schedule"]), Some("*/2 * * * *"));
    assert_eq!(cron.str_at(&["spec", "concurrencyPolicy"]), Some("Forbid"));
    assert_eq!(
        cron.str_at(&["spec", "startingDeadlineSeconds"]),
        Some("60")
    );
    assert_eq!(
        cron.str_at(&["spec", "jobTemplate", "spec", "backoffLimit"]),
        Some("0")
    );
    let pod = cron
        .path(&["spec", "jobTemplate", "spec", "template", "spec"])
        .expect("pod spec");
    assert_eq!(
        pod.str_at(&["securityContext", "runAsNonRoot"]),
        Some("true")
    );
    assert_eq!(
        pod.str_at(&["securityContext", "seccompProfile", "type"]),
        Some("RuntimeDefault")
    );
    assert_eq!(
        pod.str_at(&["serviceAccountName"]),
        Some("stuck-hr-recovery")
    );
    let c = pod
        .get("containers")
        .and_then(|c| c.items().next())
        .expect("container");
    assert_eq!(
        c.str_at(&["securityContext", "readOnlyRootFilesystem"]),
        Some("true")
    );
    assert_eq!(
        c.str_at(&["securityContext", "allowPrivilegeEscalation"]),
        Some("false")
    );
    assert_eq!(
        strings(c.path(&["securityContext", "capabilities", "drop"])),
        s(&["ALL"])
    );
    assert_eq!(c.str_at(&["resources", "requests", "cpu"]), Some("10m"));
    assert_eq!(c.str_at(&["resources", "requests", "memory"]), Some("32Mi"));
    assert_eq!(c.str_at(&["resources", "limits", "memory"]), Some("96Mi"));
    let args = strings(c.get("args"));
    assert!(
        args.windows(2).any(|w| w == ["--engine", "plugin"]),
        "the CronJob runs the plugin: {args:?}"
    );

    // The only namespaced grant: reading the helm-controller Deployment, in the Flux
    // namespace, by name.
    let role = kind("Role");
    assert_eq!(role.str_at(&["metadata", "namespace"]), Some("flux-system"));
    let role_rules: Vec<[Vec<String>; 4]> = role
        .get("rules")
        .expect("rules")
        .items()
        .map(|r| {
            [
                strings(r.get("apiGroups")),
                strings(r.get("resources")),
                strings(r.get("resourceNames")),
                strings(r.get("verbs")),
            ]
        })
        .collect();
    assert_eq!(
        role_rules,
        vec![[
            s(&["apps"]),
            s(&["deployments"]),
            s(&["helm-controller"]),
            s(&["get"])
        ]]
    );
    assert_eq!(
        kind("RoleBinding").str_at(&["roleRef", "name"]),
        Some("stuck-hr-recovery")
    );
    let deadline = cron
        .str_at(&["spec", "jobTemplate", "spec", "activeDeadlineSeconds"])
        .expect("activeDeadlineSeconds");

    let cm = kind("ConfigMap");
    let config = cm
        .str_at(&["data", "config.yaml"])
        .expect("config.yaml key");
    let parsed = RecoveryConfig::parse_yaml(config).expect("the shipped recovery config is valid");
    assert_eq!(
        parsed.active_deadline_seconds.to_string(),
        deadline,
        "the config's deadline is the CronJob's"
    );
    assert_eq!(
        RecoveryConfig::default()
            .active_deadline_seconds
            .to_string(),
        deadline,
        "the default deadline is the shipped CronJob's"
    );
    let binding = kind("ClusterRoleBinding");
    assert_eq!(
        binding
            .get("subjects")
            .and_then(|s| s.items().next())
            .and_then(|s| s.str_at(&["namespace"])),
        Some("flux-system")
    );
}
