//! What gets installed grants exactly the permissions `recover` uses, runs the CronJob
//! hardened, and hands it a valid recovery config: the kustomize base `deploy/`
//! (rendered by `kubectl kustomize`, linted clean by `catalyst-guard lint`) and the
//! chart it is generated from, with other values than the defaults too.
#![cfg(test)] // Test code throughout: clippy.toml lets tests `expect`, helpers included.

#[path = "support/helm.rs"]
mod helm;

use std::process::Command;

use catalyst_guard::recovery::RecoveryConfig;
use catalyst_guard::yaml::{self, Node};

fn kustomize() -> String {
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(helm::root().join("deploy"))
        .output()
        .expect("kubectl is installed (it renders deploy/)");
    assert!(out.status.success(), "{}", helm::text(&out));
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

/// The kinds of the rendered objects, sorted.
fn kinds(text: &str) -> Vec<String> {
    let parsed = yaml::parse(text);
    let mut kinds: Vec<String> = parsed
        .documents
        .iter()
        .filter_map(|d| d.root())
        .filter_map(|r| r.str_at(&["kind"]).map(str::to_string))
        .collect();
    kinds.sort();
    kinds
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// What a rendering must say, beside what never changes (verbs, hardening).
struct Expect<'a> {
    /// Every object's name (the ServiceAccount's too, unless `service_account`).
    name: &'a str,
    service_account: &'a str,
    namespace: &'a str,
    flux_namespace: &'a str,
    schedule: &'a str,
    image: &'a str,
    requests: (&'a str, &'a str),
    memory_limit: &'a str,
}

const DEFAULTS: Expect<'static> = Expect {
    name: "stuck-hr-recovery",
    service_account: "stuck-hr-recovery",
    namespace: "flux-system",
    flux_namespace: "flux-system",
    schedule: "*/2 * * * *",
    image: concat!("ghcr.io/openova/catalyst-guard:", env!("CARGO_PKG_VERSION")),
    requests: ("10m", "32Mi"),
    // `cargo xtask bench recover` measures the job's peak against this limit.
    memory_limit: "96Mi",
};

/// Checks one rendering of the recovery install against `want`; returns the parsed
/// recovery config.
fn check(text: &str, want: &Expect<'_>) -> RecoveryConfig {
    let parsed = yaml::parse(text);
    assert!(parsed.error.is_none(), "{:?}", parsed.error);
    let roots: Vec<Node<'_>> = parsed.documents.iter().filter_map(|d| d.root()).collect();
    let kind = |k: &str| {
        let all: Vec<Node<'_>> = roots
            .iter()
            .copied()
            .filter(|r| r.str_at(&["kind"]) == Some(k))
            .collect();
        assert_eq!(all.len(), 1, "one {k}");
        let node = all[0];
        assert_eq!(node.str_at(&["metadata", "name"]), Some(want.name), "{k}");
        node
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
    assert_eq!(
        cron.str_at(&["metadata", "namespace"]),
        Some(want.namespace)
    );
    assert_eq!(cron.str_at(&["spec", "schedule"]), Some(want.schedule));
    assert_eq!(cron.str_at(&["spec", "concurrencyPolicy"]), Some("Forbid"));
    assert_eq!(
        cron.str_at(&["spec", "jobTemplate", "spec", "backoffLimit"]),
        Some("0")
    );
    let pod = cron
        .path(&["spec", "jobTemplate", "spec", "template", "spec"])
        .expect("pod spec");
    assert_eq!(pod.str_at(&["restartPolicy"]), Some("Never"));
    assert_eq!(
        pod.str_at(&["securityContext", "runAsNonRoot"]),
        Some("true")
    );
    assert_eq!(pod.str_at(&["securityContext", "runAsUser"]), Some("65532"));
    assert_eq!(
        pod.str_at(&["securityContext", "seccompProfile", "type"]),
        Some("RuntimeDefault")
    );
    assert_eq!(
        pod.str_at(&["serviceAccountName"]),
        Some(want.service_account)
    );
    let containers: Vec<Node<'_>> = pod.get("containers").expect("containers").items().collect();
    assert_eq!(containers.len(), 1);
    let c = containers[0];
    assert_eq!(c.str_at(&["image"]), Some(want.image));
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
    assert_eq!(
        c.str_at(&["resources", "requests", "cpu"]),
        Some(want.requests.0)
    );
    assert_eq!(
        c.str_at(&["resources", "requests", "memory"]),
        Some(want.requests.1)
    );
    assert_eq!(
        c.str_at(&["resources", "limits", "memory"]),
        Some(want.memory_limit)
    );
    let args = strings(c.get("args"));
    assert!(
        args.windows(2).any(|w| w == ["--engine", "plugin"]),
        "the CronJob runs the plugin: {args:?}"
    );
    assert!(
        args.windows(2)
            .any(|w| w == ["--flux-namespace", want.flux_namespace]),
        "the job reads helm-controller where the Role lets it: {args:?}"
    );
    // The config the job is given is the ConfigMap the chart renders.
    let config_path = args
        .windows(2)
        .find(|w| w[0] == "--config")
        .map(|w| w[1].clone())
        .expect("--config");
    let (mount_dir, file) = config_path.rsplit_once('/').expect("a path");
    let mounts: Vec<Node<'_>> = c.get("volumeMounts").expect("mounts").items().collect();
    let config_mount = mounts
        .iter()
        .find(|m| m.str_at(&["mountPath"]) == Some(mount_dir))
        .expect("the config directory is mounted");
    assert_eq!(config_mount.str_at(&["readOnly"]), Some("true"));
    let volume = config_mount.str_at(&["name"]).expect("volume name");
    let volumes: Vec<Node<'_>> = pod.get("volumes").expect("volumes").items().collect();
    let config_volume = volumes
        .iter()
        .find(|v| v.str_at(&["name"]) == Some(volume))
        .expect("the config volume");
    assert_eq!(
        config_volume.str_at(&["configMap", "name"]),
        Some(want.name)
    );

    // The only namespaced grant: reading the helm-controller Deployment, in the Flux
    // namespace, by name.
    let role = kind("Role");
    assert_eq!(
        role.str_at(&["metadata", "namespace"]),
        Some(want.flux_namespace)
    );
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
    for (binding, role_kind) in [
        ("ClusterRoleBinding", "ClusterRole"),
        ("RoleBinding", "Role"),
    ] {
        let b = kind(binding);
        assert_eq!(b.str_at(&["roleRef", "kind"]), Some(role_kind));
        assert_eq!(b.str_at(&["roleRef", "name"]), Some(want.name));
        let subjects: Vec<Node<'_>> = b.get("subjects").expect("subjects").items().collect();
        assert_eq!(subjects.len(), 1, "{binding}");
        assert_eq!(
            subjects[0].str_at(&["name"]),
            Some(want.service_account),
            "{binding}"
        );
        assert_eq!(
            subjects[0].str_at(&["namespace"]),
            Some(want.namespace),
            "{binding}"
        );
    }

    let deadline = cron
        .str_at(&["spec", "jobTemplate", "spec", "activeDeadlineSeconds"])
        .expect("activeDeadlineSeconds");
    let cm = kind("ConfigMap");
    assert_eq!(cm.str_at(&["metadata", "namespace"]), Some(want.namespace));
    let config = cm
        .str_at(&["data", file])
        .unwrap_or_else(|| panic!("ConfigMap key {file}"));
    let parsed = RecoveryConfig::parse_yaml(config).expect("the shipped recovery config is valid");
    assert_eq!(
        parsed.active_deadline_seconds.to_string(),
        deadline,
        "the config's deadline is the CronJob's"
    );
    parsed
}

#[test]
fn the_rendered_deploy_base_lints_clean() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("rendered.yaml"), kustomize()).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_catalyst-guard"))
        .arg("lint")
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", helm::text(&out));
}

#[test]
fn rbac_is_exactly_what_recover_needs_and_the_cronjob_is_hardened() {
    let text = kustomize();
    let config = check(&text, &DEFAULTS);
    assert_eq!(
        config,
        RecoveryConfig::default(),
        "the shipped config is the engine's default (the ConfigMap only spells it out)"
    );
    assert_eq!(
        kinds(&text),
        [
            "ClusterRole",
            "ClusterRoleBinding",
            "ConfigMap",
            "CronJob",
            "Role",
            "RoleBinding",
            "ServiceAccount"
        ]
    );
}

#[test]
fn the_chart_with_every_value_changed_still_grants_and_hardens_exactly_the_same() {
    let text = helm::template("guard", "guard-system", helm::OTHER_VALUES);
    let config = check(
        &text,
        &Expect {
            name: "guard",
            service_account: "guard-sa",
            namespace: "guard-system",
            flux_namespace: "flux",
            schedule: "*/5 * * * *",
            // global.imageRegistry wins over image.registry; the digest replaces the tag.
            image: "harbor.omantel.openova.io/mirror/catalyst-guard@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            requests: ("20m", "48Mi"),
            memory_limit: "128Mi",
        },
    );
    assert!(
        !kinds(&text).contains(&"ServiceAccount".to_string()),
        "serviceAccount.create=false brings no ServiceAccount"
    );
    assert_eq!(config.stuck_threshold_seconds, 600);
    assert_eq!(config.max_actions, 3);
    assert_eq!(config.suspend_pause_seconds, 60);
    assert_eq!(config.active_deadline_seconds, 200);
    assert_eq!(config.include_namespaces, ["apps"]);
    assert_eq!(config.exclude_namespaces, ["kube-system"]);
    assert_eq!(config.label_selector, "team=platform,!skip");
    assert_eq!(config.helm_controller_version.as_deref(), Some("v1.6.4"));
    assert_eq!(config.annotations.suspended_by, "example.io/suspended");
    assert_eq!(
        (
            config.status_lost_strategy.as_str(),
            config.leader_loss_strategy.as_str()
        ),
        ("reconcile-request", "force-reconcile")
    );
}

#[test]
fn global_image_registry_replaces_the_registry_and_a_tag_is_kept_without_a_digest() {
    let image = |values: &str| {
        let text = helm::template("r", "ns", values);
        text.lines()
            .find_map(|l| l.trim().strip_prefix("image: "))
            .expect("an image line")
            .trim_matches('"')
            .to_string()
    };
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        image("global: {imageRegistry: harbor.example.io}"),
        format!("harbor.example.io/openova/catalyst-guard:{version}")
    );
    assert_eq!(
        image("image: {tag: \"1.2\"}"),
        "ghcr.io/openova/catalyst-guard:1.2"
    );
    assert_eq!(
        image("image: {registry: \"\", repository: catalyst-guard}"),
        format!("catalyst-guard:{version}"),
        "no registry: no leading slash"
    );
}
