//! The CI integrations, run as a CI system would run them, on temporary git
//! repositories: the composite action's `run:` steps (`action.yml`), the pre-commit
//! hook's entry (`.pre-commit-hooks.yaml`) and the GitLab job of
//! `docs/ci-integration.md`; and the rendered `deploy/` manifests against the
//! Kubernetes OpenAPI schemas (`kubernetes-validate`, installed by `cargo xtask test`).
//!
//! The release the action and the GitLab job download is a local directory laid out as
//! a release (`v<version>/<binary>`, `v<version>/SHA256SUMS`), fetched over `file://`.
#![cfg(test)] // Test code throughout: clippy.toml lets tests `expect`, helpers included.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use catalyst_guard::yaml::{self, Node};

const BIN: &str = env!("CARGO_BIN_EXE_catalyst-guard");
const VERSION: &str = env!("CARGO_PKG_VERSION");

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo_root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let path = entry.expect("entry").path();
        let dest = to.join(path.file_name().expect("name"));
        if path.is_dir() {
            copy_tree(&path, &dest);
        } else {
            std::fs::copy(&path, &dest).expect("copy");
        }
    }
}

/// A git repository with `tree` (relative to the repo root) committed, or an empty
/// README if `tree` is `None`.
fn git_repo(tree: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    match tree {
        Some(t) => copy_tree(&repo_root().join(t), dir.path()),
        None => {
            std::fs::write(dir.path().join("README.md"), "# a clean repository\n").expect("write")
        }
    }
    for args in [
        &["init", "-q", "-b", "main"][..],
        &["add", "-A"],
        &[
            "-c",
            "user.name=ci",
            "-c",
            "user.email=ci@example.org",
            "commit",
            "-q",
            "-m",
            "fixture",
        ],
    ] {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir.path())
            .output()
            .expect("git");
        assert!(out.status.success(), "git {args:?}: {}", text(&out));
    }
    dir
}

/// A directory laid out as a release: `v<version>/<artifact>` and its `SHA256SUMS`.
fn release_dir(artifact: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let v = dir.path().join(format!("v{VERSION}"));
    std::fs::create_dir_all(&v).expect("mkdir");
    std::fs::copy(BIN, v.join(artifact)).expect("copy binary");
    let out = Command::new("sha256sum")
        .arg(artifact)
        .current_dir(&v)
        .output()
        .expect("sha256sum");
    assert!(out.status.success(), "{}", text(&out));
    std::fs::write(v.join("SHA256SUMS"), &out.stdout).expect("write sums");
    dir
}

/// bash as CI runners start a `bash` step: no profile, `-e -o pipefail`.
fn ci_bash(script: &str) -> Command {
    let mut command = Command::new("bash");
    command.args([
        "--noprofile",
        "--norc",
        "-e",
        "-o",
        "pipefail",
        "-c",
        script,
    ]);
    command
}

fn release_artifact() -> String {
    format!("catalyst-guard-{VERSION}-x86_64-linux-musl")
}

fn file_url(dir: &Path) -> String {
    format!("file://{}", dir.display())
}

/// The composite action, parsed once per test.
struct Action {
    text: String,
}

/// What one run of the action did.
struct ActionRun {
    /// (step name, exit code) of every `run:` step that ran, in order.
    steps: Vec<(String, i32)>,
    /// Every step's outputs, by step id.
    outputs: BTreeMap<String, BTreeMap<String, String>>,
    /// The `uses:` steps that would run, with their `with:` resolved.
    uses: Vec<(String, BTreeMap<String, String>)>,
    logs: String,
}

impl Action {
    fn load() -> Self {
        Self {
            text: read("action.yml"),
        }
    }

    /// Default of every input, overridden by `with`.
    fn inputs(&self, with: &[(&str, &str)]) -> BTreeMap<String, String> {
        let parsed = yaml::parse(&self.text);
        assert!(parsed.error.is_none(), "action.yml: {:?}", parsed.error);
        let root = parsed.documents[0].root().expect("root");
        let mut inputs = BTreeMap::new();
        for (k, v) in root.get("inputs").expect("inputs").entries() {
            let key = k.scalar().expect("input name").to_string();
            let default = v.get("default").and_then(|d| d.scalar()).unwrap_or("");
            inputs.insert(key, default.to_string());
        }
        for (k, v) in with {
            assert!(inputs.contains_key(*k), "action.yml has no input `{k}`");
            inputs.insert(k.to_string(), v.to_string());
        }
        inputs
    }

    /// Runs the steps as a runner does: `run:` steps with bash in `workspace`, their
    /// `env:` resolved from the inputs and earlier steps' outputs; `uses:` steps are
    /// recorded, not run. Stops at the first failing step, like a runner.
    fn run(&self, workspace: &Path, with: &[(&str, &str)], gitea: bool) -> ActionRun {
        let inputs = self.inputs(with);
        let parsed = yaml::parse(&self.text);
        let root = parsed.documents[0].root().expect("root");
        let runs = root.get("runs").expect("runs");
        assert_eq!(
            runs.get("using").and_then(|u| u.scalar()),
            Some("composite")
        );
        let tmp = tempfile::tempdir().expect("tempdir");
        let mut result = ActionRun {
            steps: Vec::new(),
            outputs: BTreeMap::new(),
            uses: Vec::new(),
            logs: String::new(),
        };
        for (i, step) in runs.get("steps").expect("steps").items().enumerate() {
            let name = step
                .get("name")
                .and_then(|n| n.scalar())
                .unwrap_or("?")
                .to_string();
            let resolve = |expr: &str| resolve(expr, &inputs, &result.outputs, gitea);
            if let Some(cond) = step.get("if").and_then(|c| c.scalar())
                && !condition(cond, &inputs, gitea)
            {
                continue;
            }
            if let Some(uses) = step.get("uses").and_then(|u| u.scalar()) {
                let with = step
                    .get("with")
                    .map(|w| {
                        w.entries()
                            .map(|(k, v)| {
                                (
                                    k.scalar().unwrap_or("").to_string(),
                                    resolve(v.scalar().unwrap_or("")),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                result.uses.push((uses.to_string(), with));
                continue;
            }
            let script = step.get("run").and_then(|r| r.scalar()).expect("run");
            assert!(
                !script.contains("${{"),
                "step `{name}`: a `run:` script must read its inputs from `env:`, not `${{{{ }}}}`"
            );
            assert_eq!(step.get("shell").and_then(|s| s.scalar()), Some("bash"));
            let output_file = tmp.path().join(format!("output-{i}"));
            std::fs::write(&output_file, "").expect("write");
            let mut command = ci_bash(script);
            command
                .current_dir(workspace)
                .env("GITHUB_OUTPUT", &output_file)
                .env("RUNNER_TEMP", tmp.path());
            if gitea {
                command.env("GITEA_ACTIONS", "true");
            }
            if let Some(env) = step.get("env") {
                for (k, v) in env.entries() {
                    command.env(
                        k.scalar().expect("env name"),
                        resolve(v.scalar().unwrap_or("")),
                    );
                }
            }
            let out = command.output().expect("bash");
            result
                .logs
                .push_str(&format!("== {name}\n{}\n", text(&out)));
            let code = out.status.code().unwrap_or(-1);
            result.steps.push((name, code));
            if let Some(id) = step.get("id").and_then(|s| s.scalar()) {
                let outputs = std::fs::read_to_string(&output_file)
                    .expect("read outputs")
                    .lines()
                    .filter_map(|l| l.split_once('='))
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                result.outputs.insert(id.to_string(), outputs);
            }
            if code != 0 {
                break;
            }
        }
        result
    }
}

/// Resolves the `${{ }}` expressions the action uses: inputs and step outputs. Any
/// other expression fails the test, so a new one gets a resolver before it ships.
fn resolve(
    value: &str,
    inputs: &BTreeMap<String, String>,
    outputs: &BTreeMap<String, BTreeMap<String, String>>,
    gitea: bool,
) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").expect("closing }}") + start;
        let expr = rest[start + 3..end].trim();
        let parts: Vec<&str> = expr.split('.').collect();
        let v = match parts.as_slice() {
            ["inputs", name] => inputs.get(*name).cloned().expect("known input"),
            ["steps", id, "outputs", name] => outputs
                .get(*id)
                .and_then(|o| o.get(*name))
                .cloned()
                .unwrap_or_default(),
            ["env", "GITEA_ACTIONS"] => (if gitea { "true" } else { "" }).to_string(),
            _ => panic!("action.yml: no resolver for `${{{{ {expr} }}}}`"),
        };
        out.push_str(&v);
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// The `if:` conditions the action uses, evaluated; anything else fails the test.
fn condition(cond: &str, inputs: &BTreeMap<String, String>, gitea: bool) -> bool {
    let cond = cond
        .trim()
        .trim_start_matches("${{")
        .trim_end_matches("}}")
        .trim();
    cond.split("&&").map(str::trim).all(|term| match term {
        "inputs.upload-sarif == 'true'" => inputs["upload-sarif"] == "true",
        "env.GITEA_ACTIONS != 'true'" => !gitea,
        "env.GITEA_ACTIONS == 'true'" => gitea,
        other => panic!("action.yml: no evaluator for `if: {other}`"),
    })
}

fn sarif_results(path: &Path) -> Vec<serde_json::Value> {
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("sarif written"))
            .expect("SARIF is JSON");
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["tool"]["driver"]["name"], "catalyst-guard");
    sarif["runs"][0]["results"]
        .as_array()
        .cloned()
        .expect("results")
}

#[test]
fn the_action_installs_the_release_lints_to_sarif_uploads_it_and_fails_on_findings() {
    let repo = git_repo(Some("examples/sovereign"));
    let release = release_dir(&release_artifact());
    let url = file_url(release.path());
    let run = Action::load().run(
        repo.path(),
        &[("release-url", url.as_str()), ("base", "HEAD")],
        false,
    );
    let names: Vec<(&str, i32)> = run.steps.iter().map(|(n, c)| (n.as_str(), *c)).collect();
    assert_eq!(
        names,
        [
            ("Install catalyst-guard", 0),
            ("Lint", 0),
            ("Fail on findings", 1)
        ],
        "{}",
        run.logs
    );
    assert_eq!(run.outputs["lint"]["exit-code"], "1", "{}", run.logs);
    let sarif = repo.path().join("catalyst-guard.sarif");
    let results = sarif_results(&sarif);
    assert!(!results.is_empty(), "the example repo has findings");
    assert!(run.logs.contains("CG0"), "findings are in the log as text");
    // GitHub: the SARIF goes to code scanning, nothing else is uploaded.
    assert_eq!(run.uses.len(), 1, "{:?}", run.uses);
    let (uses, with) = &run.uses[0];
    assert!(uses.starts_with("github/codeql-action/upload-sarif@"));
    assert_eq!(with["sarif_file"], "catalyst-guard.sarif");
    assert_eq!(with["category"], "catalyst-guard");
}

/// The YAML block after `marker` in docs/ci-integration.md.
fn documented_yaml(marker: &str) -> String {
    let doc = read("docs/ci-integration.md");
    doc.split_once(marker)
        .unwrap_or_else(|| panic!("the marker `{marker}`"))
        .1
        .split_once("```yaml\n")
        .expect("a yaml block")
        .1
        .split_once("\n```")
        .expect("closed block")
        .0
        .to_string()
}

/// The `with:` of the catalyst-guard step of the documented pull-request workflow.
fn documented_pr_inputs() -> Vec<(String, String)> {
    let block = documented_yaml("<!-- ci-integration: action-pr-example");
    let parsed = yaml::parse(&block);
    assert!(parsed.error.is_none(), "{:?}", parsed.error);
    let steps = parsed.documents[0]
        .root()
        .and_then(|r| r.path(&["jobs", "catalyst-guard", "steps"]))
        .expect("jobs.catalyst-guard.steps");
    let step = steps
        .items()
        .find(|s| {
            s.str_at(&["uses"])
                .is_some_and(|u| u.starts_with("openova/catalyst-guard@"))
        })
        .expect("a step using the action");
    step.get("with")
        .expect("with")
        .entries()
        .map(|(k, v)| {
            (
                k.scalar().expect("key").to_string(),
                v.scalar().expect("value").to_string(),
            )
        })
        .collect()
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(["-c", "user.name=ci", "-c", "user.email=ci@example.org"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git");
    assert!(out.status.success(), "git {args:?}: {}", text(&out));
}

#[test]
fn the_documented_pr_workflow_fails_on_a_lockstep_break_in_an_unchanged_file() {
    let with = documented_pr_inputs();
    let keys: Vec<&str> = with.iter().map(|(k, _)| k.as_str()).collect();
    for input in ["baseline", "new-from-rev", "config"] {
        assert!(
            keys.contains(&input),
            "the example sets `{input}`: {keys:?}"
        );
    }
    // main: a component in lockstep, a doc with a known finding (baselined), and the
    // configuration the example names.
    let repo = tempfile::tempdir().expect("tempdir");
    let dir = repo.path();
    let write = |rel: &str, text: &str| {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write(
        "platform/x/blueprint.yaml",
        "apiVersion: catalyst.openova.io/v1alpha1\nkind: Blueprint\nmetadata:\n  name: bp-x\nspec:\n  version: 1.0.0\n",
    );
    write(
        "platform/x/chart/Chart.yaml",
        "apiVersion: v2\nname: bp-x\nversion: 1.0.0\n",
    );
    write(
        "platform/x/chart/values.yaml",
        "global:\n  imageRegistry: \"\"\n",
    );
    write("docs/old.md", "Each tenant has a vcluster.\n");
    write(".catalyst-guard.yaml", "rules:\n  CG012: error\n");
    git(dir, &["init", "-q", "-b", "main"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "main"]);
    let status = Command::new(BIN)
        .args([
            "lint",
            ".",
            "--write-baseline",
            ".catalyst-guard-baseline.json",
        ])
        .current_dir(dir)
        .status()
        .expect("write the baseline");
    assert!(status.success());
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "baseline"]);
    // What `fetch-depth: 0` leaves: the target branch as `origin/main`.
    git(dir, &["update-ref", "refs/remotes/origin/main", "HEAD"]);
    // The pull request bumps the chart and forgets the Blueprint.
    git(dir, &["checkout", "-q", "-b", "pr"]);
    write(
        "platform/x/chart/Chart.yaml",
        "apiVersion: v2\nname: bp-x\nversion: 1.0.1\n",
    );
    git(dir, &["commit", "-q", "-am", "bump the chart"]);
    let mut inputs: Vec<(&str, &str)> =
        with.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    inputs.push(("binary", BIN));
    let run = Action::load().run(dir, &inputs, false);
    let names: Vec<(&str, i32)> = run.steps.iter().map(|(n, c)| (n.as_str(), *c)).collect();
    assert_eq!(
        names,
        [
            ("Install catalyst-guard", 0),
            ("Lint", 0),
            ("Fail on findings", 1)
        ],
        "{}",
        run.logs
    );
    let results = sarif_results(&dir.join("catalyst-guard.sarif"));
    let found: Vec<(&str, &str)> = results
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap_or_default(),
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap_or_default(),
            )
        })
        .collect();
    // The Blueprint did not change, its CG001 is reported; the baselined doc finding
    // is not.
    assert_eq!(
        found,
        [("CG001", "platform/x/blueprint.yaml")],
        "{}",
        run.logs
    );
    assert!(
        results[0]["partialFingerprints"]["catalystGuard/v1"].is_string(),
        "{:?}",
        results[0]
    );
}

#[test]
fn on_gitea_the_action_keeps_the_sarif_as_an_artifact_and_passes_a_clean_repo() {
    let repo = git_repo(None);
    let run = Action::load().run(repo.path(), &[("binary", BIN)], true);
    let codes: Vec<i32> = run.steps.iter().map(|(_, c)| *c).collect();
    assert_eq!(codes, [0, 0, 0], "{}", run.logs);
    assert_eq!(run.outputs["lint"]["exit-code"], "0");
    assert!(sarif_results(&repo.path().join("catalyst-guard.sarif")).is_empty());
    assert_eq!(run.uses.len(), 1, "{:?}", run.uses);
    assert!(run.uses[0].0.starts_with("actions/upload-artifact@"));
    assert_eq!(run.uses[0].1["path"], "catalyst-guard.sarif");
}

#[test]
fn the_action_refuses_a_binary_whose_checksum_does_not_match() {
    let repo = git_repo(None);
    let release = release_dir(&release_artifact());
    let sums = release.path().join(format!("v{VERSION}/SHA256SUMS"));
    let tampered = std::fs::read_to_string(&sums).expect("sums").replacen(
        |c: char| c.is_ascii_hexdigit(),
        "0",
        8,
    );
    std::fs::write(&sums, tampered).expect("write");
    let url = file_url(release.path());
    let run = Action::load().run(repo.path(), &[("release-url", url.as_str())], false);
    assert_eq!(run.steps.len(), 1, "{}", run.logs);
    assert_ne!(run.steps[0].1, 0, "{}", run.logs);
    assert!(run.logs.contains("FAILED"), "{}", run.logs);
}

#[test]
fn the_action_installs_the_release_of_this_version_by_default() {
    let inputs = Action::load().inputs(&[]);
    assert_eq!(inputs["version"], VERSION);
    assert_eq!(inputs["path"], ".");
    assert_eq!(inputs["sarif-file"], "catalyst-guard.sarif");
}

#[test]
fn a_configuration_error_fails_the_lint_step_with_exit_2_and_uploads_nothing() {
    let repo = git_repo(None);
    let run = Action::load().run(
        repo.path(),
        &[("binary", BIN), ("config", "missing.yaml")],
        false,
    );
    assert_eq!(run.steps.last().map(|s| s.1), Some(2), "{}", run.logs);
    assert!(run.uses.is_empty());
}

fn hook() -> (Vec<String>, String) {
    let text = read(".pre-commit-hooks.yaml");
    let parsed = yaml::parse(&text);
    assert!(parsed.error.is_none());
    let hooks: Vec<Node<'_>> = parsed.documents[0].root().expect("root").items().collect();
    assert_eq!(hooks.len(), 1);
    let h = hooks[0];
    assert_eq!(h.str_at(&["id"]), Some("catalyst-guard"));
    assert_eq!(h.str_at(&["language"]), Some("system"));
    assert_eq!(
        h.get("pass_filenames").and_then(|p| p.scalar()),
        Some("false")
    );
    let entry = h.str_at(&["entry"]).expect("entry");
    let files = h.str_at(&["files"]).expect("files").to_string();
    (
        entry.split_whitespace().map(str::to_string).collect(),
        files,
    )
}

/// Runs the hook's entry as pre-commit does with `language: system` and
/// `pass_filenames: false`: the command from PATH, in the repository root, no file
/// arguments.
fn run_hook(repo: &Path) -> Output {
    let (entry, _) = hook();
    let bin_dir = Path::new(BIN).parent().expect("bin dir");
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new(&entry[0])
        .args(&entry[1..])
        .current_dir(repo)
        .env("PATH", path)
        .output()
        .expect("the hook's entry runs")
}

#[test]
fn the_pre_commit_hook_fails_a_repository_with_findings_and_passes_a_clean_one() {
    let bad = git_repo(Some("examples/sovereign"));
    let out = run_hook(bad.path());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("CG0"), "{stdout}");
    assert!(!stdout.contains('\u{1b}'), "no colour in a hook's output");

    let clean = git_repo(None);
    let out = run_hook(clean.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn the_pre_commit_hook_runs_when_yaml_markdown_templates_or_ui_sources_change() {
    let (_, files) = hook();
    // pre-commit matches `files` with Python's re.search; so does this check.
    let check = Command::new("python3")
        .args([
            "-c",
            "import re,sys\np=sys.argv[1]\nprint(' '.join(str(bool(re.search(p,f))) for f in sys.argv[2:]))",
            &files,
            "platform/flux/blueprint.yaml",
            "platform/flux/chart/Chart.yaml",
            "platform/flux/chart/templates/_helpers.tpl",
            "docs/README.md",
            ".catalyst-guard.yaml",
            "clusters/x/kustomization.yml",
            "ui/src/routes/+page.svelte",
            "ui/src/App.tsx",
            "src/main.rs",
            "logo.png",
        ])
        .output()
        .expect("python3");
    assert_eq!(
        String::from_utf8_lossy(&check.stdout).trim(),
        "True True True True True True True True False False",
        "{}",
        text(&check)
    );
}

/// The GitLab job of docs/ci-integration.md: its YAML block after the marker comment.
fn gitlab_job_script() -> String {
    let block = documented_yaml("<!-- ci-integration: gitlab-snippet");
    let parsed = yaml::parse(&block);
    assert!(parsed.error.is_none(), "{:?}", parsed.error);
    let job = parsed.documents[0]
        .root()
        .and_then(|r| r.get("catalyst-guard"))
        .expect("job catalyst-guard");
    let version = job
        .str_at(&["variables", "CG_VERSION"])
        .expect("CG_VERSION");
    assert_eq!(version, VERSION, "the snippet installs this version");
    let lines: Vec<&str> = job
        .get("script")
        .expect("script")
        .items()
        .filter_map(|l| l.scalar())
        .collect();
    assert_eq!(
        job.path(&["artifacts", "paths"])
            .and_then(|p| p.items().next())
            .and_then(|p| p.scalar()),
        Some("catalyst-guard.sarif")
    );
    format!("CG_VERSION={version}\n{}", lines.join("\n"))
}

#[test]
fn the_documented_gitlab_job_verifies_the_release_keeps_the_sarif_and_fails_on_findings() {
    let script = gitlab_job_script();
    let release = release_dir(&release_artifact());
    let run = |repo: &Path| {
        ci_bash(&script)
            .current_dir(repo)
            .env("CG_RELEASE_URL", file_url(release.path()))
            .output()
            .expect("bash")
    };
    let bad = git_repo(Some("examples/sovereign"));
    let out = run(bad.path());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(!sarif_results(&bad.path().join("catalyst-guard.sarif")).is_empty());
    assert!(String::from_utf8_lossy(&out.stdout).contains("CG0"));

    let clean = git_repo(None);
    let out = run(clean.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

/// Kinds in `deploy/` that are custom resources: the Kubernetes OpenAPI schemas do not
/// describe them, so kubernetes-validate cannot; their content is checked by the
/// admission tests (settings pass the policy's validate_settings, rules mirror
/// policies/kubewarden/metadata.yml). Any other kind without a schema fails.
const CUSTOM_KINDS: &[&str] = &["ClusterAdmissionPolicy"];

/// Kubernetes versions the manifests must validate against: the validator's newest
/// and an older one still in wide use.
const KUBERNETES_VERSIONS: &[&str] = &["1.37", "1.32"];

fn kustomize(dir: &str) -> String {
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(repo_root().join(dir))
        .output()
        .expect("kubectl is installed (`cargo xtask test` installs it)");
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn the_rendered_deploy_manifests_validate_against_the_kubernetes_openapi_schemas() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, source) in [("deploy", "deploy"), ("admission", "deploy/admission")] {
        let file = dir.path().join(format!("{name}.yaml"));
        let rendered = kustomize(source);
        let documents =
            rendered.matches("\nkind: ").count() + usize::from(rendered.starts_with("kind: "));
        std::fs::write(&file, &rendered).expect("write");
        for version in KUBERNETES_VERSIONS {
            let out = Command::new("kubernetes-validate")
                .args(["--strict", "-k", version])
                .arg(&file)
                .output()
                .expect(
                    "kubernetes-validate is installed (`cargo xtask test` installs it with pip)",
                );
            let log = text(&out);
            assert_eq!(out.status.code(), Some(0), "{source} on {version}: {log}");
            let passed = log.matches(" passed for resource ").count();
            let mut missing = Vec::new();
            for line in log.lines().filter(|l| l.contains("Couldn't find schema")) {
                let kind = line
                    .split("for kind ")
                    .nth(1)
                    .and_then(|k| k.split_whitespace().next())
                    .unwrap_or(line);
                assert!(
                    CUSTOM_KINDS.contains(&kind),
                    "{source}: no schema for `{kind}` on Kubernetes {version}: a typo in a built-in kind? {log}"
                );
                missing.push(kind.to_string());
            }
            assert_eq!(
                passed + missing.len(),
                documents,
                "{source} on {version}: every object is validated or a known custom resource: {log}"
            );
            if source == "deploy" {
                assert_eq!(passed, documents, "deploy/ has only built-in kinds: {log}");
            }
        }
    }
}

#[test]
fn the_validator_rejects_a_manifest_that_breaks_the_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("bad.yaml");
    let rendered = kustomize("deploy");
    assert!(rendered.contains("concurrencyPolicy: Forbid"));
    std::fs::write(
        &file,
        rendered.replace("concurrencyPolicy: Forbid", "concurrencyPolicy: 7"),
    )
    .expect("write");
    let out = Command::new("kubernetes-validate")
        .args(["--strict"])
        .arg(&file)
        .output()
        .expect("kubernetes-validate");
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
}
