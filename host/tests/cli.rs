//! The `catalyst-guard` binary end to end: exit codes, output formats, configuration
//! errors, bad input on disk, `.gitignore`, colour and `--base`.
#![cfg(test)] // Test code throughout: clippy.toml lets tests `expect`, helpers included.

use std::path::Path;
use std::process::{Command, Output};

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_catalyst-guard"));
    cmd.env_remove("NO_COLOR");
    cmd
}

fn run(args: &[&str], dir: &Path) -> Output {
    bin()
        .args(args)
        .current_dir(dir)
        .output()
        .expect("binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

fn repo_root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn clean_component(root: &Path, name: &str, version: &str) {
    write(
        root,
        &format!("platform/{name}/blueprint.yaml"),
        &format!(
            "apiVersion: catalyst.openova.io/v1alpha1\nkind: Blueprint\nmetadata:\n  name: bp-{name}\nspec:\n  version: {version}\n"
        ),
    );
    write(
        root,
        &format!("platform/{name}/chart/Chart.yaml"),
        &format!("apiVersion: v2\nname: bp-{name}\nversion: {version}\n"),
    );
    write(
        root,
        &format!("platform/{name}/chart/values.yaml"),
        "global:\n  imageRegistry: \"\"\n",
    );
}

#[test]
fn the_bundled_example_has_errors_and_exits_1() {
    let out = run(&["lint", "examples/sovereign"], repo_root());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("error[CG005]"), "{text}");
    assert!(
        text.contains("--> examples/sovereign/clusters/"),
        "paths are shown under the root as named: {text}"
    );
    assert!(
        text.contains("= help: use `https://gitea.hfmp.openova.io/openova/platform.git`"),
        "{text}"
    );
    assert!(
        text.contains(
            "8 |   url: https://gitea.hfrp.openova.io/openova/platform.git\n  |        ^^^^"
        ),
        "the source line and caret are read back for files with findings: {text}"
    );
    assert!(
        text.lines().last().is_some_and(|l| l.ends_with("files")),
        "{text}"
    );
    assert!(
        !text.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
}

#[test]
fn native_text_output_reads_back_source_lines_for_findings() {
    // The native engine keeps no source text while linting; the text renderer reads
    // back the files that have findings, in directory and in single-file mode.
    let out = run(
        &["lint", "--engine", "native", "examples/sovereign"],
        repo_root(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(
            "8 |   url: https://gitea.hfrp.openova.io/openova/platform.git\n  |        ^^^^"
        ),
        "{text}"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "docs/x.md", "tenants\n");
    let out = run(&["lint", "--engine", "native", "docs/x.md"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("--> docs/x.md:1:1\n  |\n1 | tenants\n  | ^^^^^^^"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_clean_repo_exits_0() {
    let dir = tempfile::tempdir().expect("tempdir");
    clean_component(dir.path(), "flux", "1.1.4");
    let out = run(&["lint"], dir.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stdout(&out).starts_with("no findings in 3 files"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn usage_and_missing_paths_exit_2() {
    let out = run(&["lint", "--format", "xml"], repo_root());
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["lint", "does/not/exist"], repo_root());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot read `does/not/exist`"),
        "{}",
        stderr(&out)
    );
    let out = run(&["frobnicate"], repo_root());
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_bad_config_names_the_file_line_and_field_and_exits_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    clean_component(dir.path(), "flux", "1.1.4");
    write(dir.path(), ".catalyst-guard.yaml", "rules:\n  CG099: off\n");
    let out = run(&["lint"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(".catalyst-guard.yaml`:2:3: `rules.CG099`: unknown rule"),
        "{err}"
    );
    assert!(
        stdout(&out).is_empty(),
        "no partial report on a config error"
    );
}

#[test]
fn config_switches_rules_off_and_changes_severity() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "docs/a.md", "minio and gitea.<domain>\n");
    let out = run(&["lint"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    write(
        dir.path(),
        ".catalyst-guard.yaml",
        "rules:\n  retired-term: warning\n  CG006: off\n",
    );
    let out = run(&["lint", "--format", "json"], dir.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "warnings do not fail: {}",
        stdout(&out)
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(json["summary"]["warning"], 1);
    assert_eq!(json["findings"].as_array().expect("array").len(), 1);
}

#[test]
fn gitignored_files_are_not_linted() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), ".gitignore", "vendor/\n");
    write(dir.path(), "vendor/x.md", "minio\n");
    write(dir.path(), "docs/ok.md", "seaweedfs\n");
    let out = run(&["lint"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn bad_files_on_disk_become_findings_and_the_scan_continues() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("docs")).expect("mkdir");
    std::fs::write(dir.path().join("docs/latin1.md"), b"caf\xe9 minio\n").expect("write");
    let big = "a: 1\n".repeat(2_200_000);
    write(dir.path(), "big.yaml", &big);
    write(dir.path(), "docs/later.md", "k8gb\n");
    std::os::unix::fs::symlink("..", dir.path().join("docs/loop")).expect("symlink");
    std::os::unix::fs::symlink("later.md", dir.path().join("docs/linked.md")).expect("symlink");
    let out = run(&["lint", "--format", "json"], dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    let messages: Vec<String> = json["findings"]
        .as_array()
        .expect("array")
        .iter()
        .map(|f| format!("{} {} {}", f["code"], f["path"], f["message"]))
        .collect();
    let all = messages.join("\n");
    assert!(
        all.contains("docs/latin1.md") && all.contains("not valid UTF-8"),
        "{all}"
    );
    assert!(
        all.contains("big.yaml") && all.contains("over the 10 MiB limit"),
        "{all}"
    );
    assert!(
        !all.contains("docs/loop/"),
        "symlinked directories are not followed: {all}"
    );
    assert!(
        all.contains("\"CG007\" \"docs/later.md\""),
        "the scan continued: {all}"
    );
}

#[test]
fn unreadable_directories_and_files_become_findings_and_the_scan_continues() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let mode = |path: &Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    };
    write(root, "repo/docs/ok.md", "tenants\n");
    write(root, "repo/secret/a.md", "minio\n");
    write(root, "repo/unreadable.md", "k8gb\n");
    // Root reads everything regardless of mode bits, so as root the binary runs as
    // `nobody` (setpriv, util-linux); a copy of it sits where `nobody` can run it.
    let bin = root.join("catalyst-guard");
    std::fs::copy(env!("CARGO_BIN_EXE_catalyst-guard"), &bin).expect("copy binary");
    for (path, m) in [
        (root.to_path_buf(), 0o755),
        (root.join("repo"), 0o755),
        (root.join("repo/docs"), 0o755),
        (root.join("repo/docs/ok.md"), 0o644),
        (bin.clone(), 0o755),
        (root.join("repo/secret"), 0o000),
        (root.join("repo/unreadable.md"), 0o000),
    ] {
        mode(&path, m);
    }
    let uid = Command::new("id").arg("-u").output().expect("id -u");
    let mut cmd = if String::from_utf8_lossy(&uid.stdout).trim() == "0" {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&bin);
        c
    } else {
        Command::new(&bin)
    };
    let out = cmd
        .args(["lint", "--engine", "native", "--format", "json", "repo"])
        .current_dir(root)
        .output()
        .expect("setpriv runs (util-linux) when the tests run as root");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    let found: Vec<String> = json["findings"]
        .as_array()
        .expect("array")
        .iter()
        .map(|f| format!("{} {} {}", f["code"], f["path"], f["message"]))
        .collect();
    assert_eq!(
        found,
        [
            "\"CG007\" \"repo/docs/ok.md\" \"retired term `tenants`\"",
            "\"CG000\" \"repo/secret\" \"cannot read: Permission denied (os error 13)\"",
            "\"CG000\" \"repo/unreadable.md\" \"cannot read file: Permission denied (os error 13)\"",
        ],
        "both are reported by path and the readable file is still linted"
    );
}

#[test]
fn color_is_forced_or_suppressed_by_flag() {
    let out = run(
        &["lint", "examples/sovereign", "--color", "always"],
        repo_root(),
    );
    assert!(stdout(&out).contains("\x1b[1;31merror"), "{}", stdout(&out));
    let out = run(
        &["lint", "examples/sovereign", "--color", "never"],
        repo_root(),
    );
    assert!(!stdout(&out).contains('\x1b'));
}

#[test]
fn sarif_and_json_are_valid_json() {
    for format in ["json", "sarif"] {
        let out = run(
            &["lint", "examples/sovereign", "--format", format],
            repo_root(),
        );
        assert_eq!(out.status.code(), Some(1));
        let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("valid JSON");
        assert!(v.is_object());
    }
}

#[test]
fn explain_prints_the_rule_docs_and_rules_lists_every_rule() {
    let out = run(&["explain", "CG005"], repo_root());
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.starts_with("CG005 non-canonical-gitea-url"), "{text}");
    for heading in [
        "## What it does",
        "## Why is this bad?",
        "## Example",
        "## Use instead",
    ] {
        assert!(text.contains(heading), "{heading}");
    }
    let out = run(&["explain", "CG999"], repo_root());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unknown rule `CG999`"));
    let out = run(&["rules"], repo_root());
    assert_eq!(stdout(&out).lines().count(), catalyst_guard_rule_count());
}

fn catalyst_guard_rule_count() -> usize {
    let out = run(&["rules", "--format", "json"], repo_root());
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    let rules = v.as_array().expect("array");
    assert_eq!(rules.len(), catalyst_guard::lint::RULES.len());
    // Each rule says whether it can fix and whether it compares files.
    assert!(
        rules
            .iter()
            .all(|r| r["fix"].is_string() && r["crossFile"].is_boolean())
    );
    assert_eq!(rules[3]["fix"], "sometimes");
    rules.len()
}

#[test]
fn a_single_file_is_linted_without_cross_file_rules() {
    let dir = tempfile::tempdir().expect("tempdir");
    clean_component(dir.path(), "flux", "1.1.4");
    let out = run(&["lint", "platform/flux/blueprint.yaml"], dir.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "a lone blueprint is not missing its chart: {}",
        stdout(&out)
    );
    write(dir.path(), "docs/x.md", "tenants\n");
    let out = run(&["lint", "docs/x.md"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("--> docs/x.md:1:1\n  |\n1 | tenants\n  | ^^^^^^^"),
        "{}",
        stdout(&out)
    );
}

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .args([
            "-c",
            "user.email=t@example.io",
            "-c",
            "user.name=t",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs")
        .status
        .success();
    assert!(ok, "git {args:?}");
}

#[test]
fn base_compares_chart_folders_with_a_git_revision() {
    let dir = tempfile::tempdir().expect("tempdir");
    clean_component(dir.path(), "flux", "1.1.4");
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-qm", "base"]);
    let out = run(&["lint", "--base", "HEAD"], dir.path());
    assert_eq!(out.status.code(), Some(0), "unchanged: {}", stdout(&out));
    write(
        dir.path(),
        "platform/flux/chart/templates/_helpers.tpl",
        "{{- define \"x\" -}}{{- end -}}\n",
    );
    let out = run(&["lint", "--base", "HEAD"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("error[CG010]"), "{}", stdout(&out));
    let out = run(&["lint", "--base", "no-such-rev"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("`--base no-such-rev`: no such commit"),
        "{}",
        stderr(&out)
    );
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
}

#[test]
fn a_baseline_hides_recorded_findings_even_after_lines_move_and_counts_stale_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "docs/a.md",
        "# A\nuse minio here\nand k8gb there\n",
    );
    let base = dir.path().join("baseline.json");
    let base_arg = base.to_str().expect("utf-8 path");
    let out = run(&["lint", ".", "--write-baseline", base_arg], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("recorded 2 findings"),
        "{}",
        stderr(&out)
    );
    // Unchanged: nothing new, exit 0.
    let out = run(&["lint", ".", "--baseline", base_arg], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("no findings in 1 file; 2 baselined, 0 stale baseline entries"),
        "{}",
        stdout(&out)
    );
    // Lines moved, one finding fixed, one added: only the new one is reported.
    write(
        dir.path(),
        "docs/a.md",
        "# A\n\nIntro.\nuse minio here\nand tenants too\n",
    );
    let out = run(&["lint", ".", "--baseline", base_arg], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("retired term `tenants`"), "{text}");
    assert!(
        !text.contains("`minio`") && !text.contains("`k8gb`"),
        "{text}"
    );
    assert!(
        text.contains("1 baselined, 1 stale baseline entry"),
        "{text}"
    );
    let json = run(
        &["lint", ".", "--baseline", base_arg, "--format", "json"],
        dir.path(),
    );
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(v["baseline"]["stale"], 1);
    // A broken baseline is a usage error naming the file.
    write(
        dir.path(),
        "bad.json",
        "{\"baselineVersion\": 1,\n \"findings\": 7}",
    );
    let out = run(&["lint", ".", "--baseline", "bad.json"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("bad.json") && stderr(&out).contains("line 2"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn new_from_rev_reports_only_findings_on_changed_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "docs/a.md", "old minio\nkept\n");
    write(dir.path(), "docs/b.md", "old k8gb\n");
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-qm", "base"]);
    // A changed line, a line moved down, an untracked file.
    write(
        dir.path(),
        "docs/a.md",
        "new line\nold minio\nkept, now tenants\n",
    );
    write(dir.path(), "docs/c.md", "untracked sops\n");
    let out = run(
        &["lint", ".", "--new-from-rev", "HEAD", "--format", "json"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let got: Vec<(String, u64)> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().expect("path").to_string(),
                f["line"].as_u64().expect("line"),
            )
        })
        .collect();
    assert_eq!(
        got,
        [("docs/a.md".to_string(), 3), ("docs/c.md".to_string(), 1)]
    );
    let out = run(&["lint", ".", "--new-from-rev", "no-such-rev"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no-such-rev"), "{}", stderr(&out));
}

fn findings_of(out: &Output) -> Vec<(String, String, u64)> {
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["code"].as_str().expect("code").to_string(),
                f["path"].as_str().expect("path").to_string(),
                f["line"].as_u64().expect("line"),
            )
        })
        .collect()
}

#[test]
fn new_from_rev_keeps_a_cross_file_finding_when_any_file_it_compares_changed() {
    let dir = tempfile::tempdir().expect("tempdir");
    clean_component(dir.path(), "flux", "1.1.4");
    clean_component(dir.path(), "gitea", "2.0.0");
    write(
        dir.path(),
        "docs/old.md",
        "an old minio mention
",
    );
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-qm", "base"]);
    // The pull request bumps the chart and forgets blueprint.yaml: the CG001 sits on
    // the Blueprint's unchanged line. The old doc finding is not the PR's.
    write(
        dir.path(),
        "platform/flux/chart/Chart.yaml",
        "apiVersion: v2\nname: bp-flux\nversion: 1.1.5\n",
    );
    git(dir.path(), &["commit", "-qam", "bump the chart only"]);
    let out = run(
        &["lint", ".", "--new-from-rev", "HEAD~1", "--format", "json"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        findings_of(&out),
        [(
            "CG001".to_string(),
            "platform/flux/blueprint.yaml".to_string(),
            6
        )]
    );
    // A chart change without a bump: the CG010 sits on the unchanged version line.
    write(
        dir.path(),
        "platform/gitea/chart/values.yaml",
        "global:\n  imageRegistry: \"\"\nreplicas: 2\n",
    );
    git(
        dir.path(),
        &["commit", "-qam", "change gitea without a bump"],
    );
    let out = run(
        &[
            "lint",
            ".",
            "--base",
            "HEAD~1",
            "--new-from-rev",
            "HEAD~1",
            "--format",
            "json",
        ],
        dir.path(),
    );
    let got = findings_of(&out);
    assert!(
        got.contains(&(
            "CG010".to_string(),
            "platform/gitea/chart/Chart.yaml".to_string(),
            3
        )),
        "{got:?}"
    );
    // `--help` names the cross-file rules.
    let help = run(&["lint", "--help"], dir.path());
    assert!(
        stdout(&help).contains("CG001, CG002, CG003"),
        "{}",
        stdout(&help)
    );
}

#[test]
fn new_from_rev_outside_git_is_one_line_and_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "docs/a.md", "minio\n");
    let out = run(&["lint", ".", "--new-from-rev", "HEAD~1"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("needs a git repository"), "{err}");
}

#[test]
fn statistics_count_findings_per_rule_most_frequent_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "docs/a.md", "minio\nk8gb\ntenant\n");
    write(
        dir.path(),
        "docs/hosts.md",
        "Open https://gitea.hfrp.openova.io/x.\n",
    );
    let out = run(&["lint", ".", "--statistics"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "3\tCG007\tretired-term", "{text}");
    assert_eq!(
        lines[1], "1\tCG006\tnon-canonical-service-host  (1 fixable with `--fix`)",
        "{text}"
    );
    assert!(lines[2].starts_with("4 errors"), "{text}");
}

#[test]
fn the_no_plugin_note_appears_only_with_verbose() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "docs/a.md", "seaweedfs\n");
    let missing = dir.path().join("no-such-plugin.wasm");
    let quiet = bin()
        .args(["lint", "."])
        .env("CATALYST_GUARD_PLUGIN", &missing)
        .current_dir(dir.path())
        .output()
        .expect("runs");
    assert_eq!(quiet.status.code(), Some(0), "{}", stderr(&quiet));
    assert!(
        !stderr(&quiet).contains("note:"),
        "a plain run prints findings only: {}",
        stderr(&quiet)
    );
    let verbose = bin()
        .args(["lint", ".", "--verbose"])
        .env("CATALYST_GUARD_PLUGIN", &missing)
        .current_dir(dir.path())
        .output()
        .expect("runs");
    assert!(stderr(&verbose).contains("engine"), "{}", stderr(&verbose));
}

#[test]
fn an_image_bots_tag_bumps_and_helmignored_files_need_no_chart_bump() {
    let dir = tempfile::tempdir().expect("tempdir");
    clean_component(dir.path(), "harbor", "1.0.0");
    let values = |tag: &str| {
        format!(
            "global:\n  imageRegistry: \"\"\ncore:\n  image:\n    repository: goharbor/harbor-core\n    tag: {tag}\n"
        )
    };
    write(
        dir.path(),
        "platform/harbor/chart/values.yaml",
        &values("v2.10.0"),
    );
    write(dir.path(), "platform/harbor/chart/.helmignore", "ci/\n");
    write(
        dir.path(),
        "platform/harbor/chart/ci/test.yaml",
        "replicas: 1\n",
    );
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-qm", "base"]);
    // The image bot's commit: a tag, and a CI values file Helm does not package.
    write(
        dir.path(),
        "platform/harbor/chart/values.yaml",
        &values("v2.10.1"),
    );
    write(
        dir.path(),
        "platform/harbor/chart/ci/test.yaml",
        "replicas: 2\n",
    );
    git(
        dir.path(),
        &["commit", "-qam", "image-bot: bump harbor-core to v2.10.1"],
    );
    let lint = |extra: &[&str]| {
        let mut args = vec!["lint", ".", "--base", "HEAD~1", "--format", "json"];
        args.extend_from_slice(extra);
        findings_of(&run(&args, dir.path()))
    };
    let cg010 = |f: &[(String, String, u64)]| f.iter().filter(|f| f.0 == "CG010").count();
    // Out of the box the tag is a chart change (the .helmignored file is not).
    assert_eq!(cg010(&lint(&[])), 1);
    write(
        dir.path(),
        "bump.yaml",
        "versionBump:\n  ignoreValues: [\"*.image.tag\"]\n",
    );
    assert_eq!(cg010(&lint(&["--config", "bump.yaml"])), 0);
    // A real change still needs the bump.
    write(
        dir.path(),
        "platform/harbor/chart/templates/extra.yaml",
        "kind: ConfigMap\n",
    );
    assert_eq!(cg010(&lint(&["--config", "bump.yaml"])), 1);
}

/// A repository with one fixable finding of every fixable rule, in files whose
/// comments, quoting and indentation a fix must keep.
fn fixable_repo(root: &Path) {
    clean_component(root, "flux", "1.1.4");
    // CG001: the chart was bumped, the Blueprint forgotten.
    write(
        root,
        "platform/flux/blueprint.yaml",
        "apiVersion: catalyst.openova.io/v1alpha1\nkind: Blueprint\nmetadata:\n  name: bp-flux  # the name\nspec:\n  version: \"1.1.3\"   # bump me\n",
    );
    // CG009: values in four-space style without the knob.
    write(
        root,
        "platform/flux/chart/values.yaml",
        "# flux values\nflux2:\n    image:\n        repository: fluxcd/flux\n",
    );
    // CG003: the template trails the chart.
    write(
        root,
        "clusters/_template/bootstrap-kit/01-flux.yaml",
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: flux\n  namespace: flux-system\nspec:\n  interval: 10m\n  chart:\n    spec:\n      chart: bp-flux\n      version: '1.1.2' # pinned\n",
    );
    // CG005: Gitea on the wrong building block, over http.
    write(
        root,
        "clusters/_template/flux-system/source.yaml",
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: platform\nspec:\n  url: http://gitea.hfrp.openova.io/openova/platform.git\n",
    );
    // CG006: the same host in a doc.
    write(
        root,
        "docs/gitea.md",
        "# Gitea\n\nClone from https://gitea.hfrp.openova.io/openova/platform.git today.\n",
    );
}

fn codes(root: &Path) -> Vec<String> {
    let out = run(
        &["lint", ".", "--format", "json", "--engine", "native"],
        root,
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["code"].as_str().expect("code").to_string())
        .collect()
}

#[test]
fn fixable_findings_say_so_in_text_json_and_sarif() {
    let dir = tempfile::tempdir().expect("tempdir");
    fixable_repo(dir.path());
    let out = run(&["lint", ".", "--engine", "native"], dir.path());
    let text = stdout(&out);
    assert!(
        text.contains("= fix: pin `1.1.4` (`--fix` applies it)"),
        "{text}"
    );
    let out = run(
        &["lint", ".", "--format", "json", "--engine", "native"],
        dir.path(),
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let fixed: Vec<&str> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["fix"]["edits"].is_array())
        .map(|f| f["code"].as_str().expect("code"))
        .collect();
    assert_eq!(fixed, ["CG003", "CG005", "CG006", "CG001", "CG009"]);
    let out = run(
        &["lint", ".", "--format", "sarif", "--engine", "native"],
        dir.path(),
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("sarif");
    let results = v["runs"][0]["results"].as_array().expect("results");
    let with_fixes = results.iter().filter(|r| r["fixes"].is_array()).count();
    assert_eq!(with_fixes, 5);
    let first = results
        .iter()
        .find(|r| r["ruleId"] == "CG003")
        .expect("CG003 result");
    assert_eq!(
        first["fixes"][0]["artifactChanges"][0]["replacements"][0]["insertedContent"]["text"],
        "1.1.4"
    );
}

#[test]
fn fix_applies_each_rules_edit_keeps_every_other_byte_and_is_idempotent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    fixable_repo(root);
    assert_eq!(
        codes(root),
        ["CG003", "CG005", "CG006", "CG001", "CG009"],
        "each fixable rule fires once"
    );
    // The dry run shows a diff, writes nothing and exits 1.
    let out = run(&["lint", ".", "--fix", "--dry-run"], root);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let diff = stdout(&out);
    assert!(
        diff.contains("--- a/platform/flux/blueprint.yaml\n+++ b/platform/flux/blueprint.yaml\n")
            && diff
                .contains("-  version: \"1.1.3\"   # bump me\n+  version: \"1.1.4\"   # bump me\n"),
        "{diff}"
    );
    assert_eq!(codes(root).len(), 5, "a dry run writes nothing");
    let out = run(&["lint", ".", "--fix"], root);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("fixed 5 findings in 5 files"),
        "{}",
        stderr(&out)
    );
    let read = |rel: &str| std::fs::read_to_string(root.join(rel)).expect("read");
    // CG001: only the version changed, quotes and comment kept.
    assert_eq!(
        read("platform/flux/blueprint.yaml"),
        "apiVersion: catalyst.openova.io/v1alpha1\nkind: Blueprint\nmetadata:\n  name: bp-flux  # the name\nspec:\n  version: \"1.1.4\"   # bump me\n"
    );
    // CG003: the pin, in its single quotes.
    assert!(
        read("clusters/_template/bootstrap-kit/01-flux.yaml")
            .ends_with("      chart: bp-flux\n      version: '1.1.4' # pinned\n")
    );
    // CG005 and CG006: the building block corrected, https.
    assert!(
        read("clusters/_template/flux-system/source.yaml")
            .contains("  url: https://gitea.hfmp.openova.io/openova/platform.git\n")
    );
    assert_eq!(
        read("docs/gitea.md"),
        "# Gitea\n\nClone from https://gitea.hfmp.openova.io/openova/platform.git today.\n"
    );
    // CG009: a global block in the file's four-space style.
    assert_eq!(
        read("platform/flux/chart/values.yaml"),
        "# flux values\nglobal:\n    imageRegistry: \"\"\nflux2:\n    image:\n        repository: fluxcd/flux\n"
    );
    assert!(codes(root).is_empty(), "every fix re-lints clean");
    // A second --fix changes nothing.
    let before: Vec<String> = [
        "platform/flux/blueprint.yaml",
        "platform/flux/chart/values.yaml",
        "docs/gitea.md",
    ]
    .iter()
    .map(|p| read(p))
    .collect();
    let out = run(&["lint", ".", "--fix"], root);
    assert!(
        stderr(&out).contains("fixed 0 findings in 0 files"),
        "{}",
        stderr(&out)
    );
    let after: Vec<String> = [
        "platform/flux/blueprint.yaml",
        "platform/flux/chart/values.yaml",
        "docs/gitea.md",
    ]
    .iter()
    .map(|p| read(p))
    .collect();
    assert_eq!(before, after);
    let out = run(&["lint", ".", "--fix", "--dry-run"], root);
    assert_eq!((out.status.code(), stdout(&out).as_str()), (Some(0), ""));
}

/// The plugin component `cargo xtask build-wasm` installs in `<target>/plugin/`.
fn plugin_component() -> String {
    // <target>/debug/deps/<test binary> -> <target>/plugin
    let exe = std::env::current_exe().expect("test binary path");
    let path = exe
        .ancestors()
        .nth(3)
        .expect("target dir")
        .join("plugin/catalyst-guard.wasm");
    assert!(
        path.is_file(),
        "{} is missing: run `cargo xtask build-wasm` first",
        path.display()
    );
    path.to_string_lossy().into_owned()
}

#[test]
fn fixes_through_the_plugin_are_reported_and_applied_exactly_as_natively() {
    let plugin = plugin_component();
    let native_dir = tempfile::tempdir().expect("tempdir");
    let plugin_dir = tempfile::tempdir().expect("tempdir");
    fixable_repo(native_dir.path());
    fixable_repo(plugin_dir.path());
    let engines = |dir: &Path, args: &[&str]| -> (Output, Output) {
        let native = run(&[args, &["--engine", "native"]].concat(), dir);
        let wasm = run(
            &[
                args,
                &["--engine", "plugin", "--plugin", &plugin, "--threads", "2"],
            ]
            .concat(),
            dir,
        );
        (native, wasm)
    };
    for format in ["text", "json", "sarif"] {
        let (native, wasm) = engines(
            native_dir.path(),
            &["lint", ".", "--format", format, "--color", "never"],
        );
        assert_eq!(wasm.status.code(), Some(1), "{}", stderr(&wasm));
        assert_eq!(stdout(&wasm), stdout(&native), "{format}");
    }
    let (native, wasm) = engines(native_dir.path(), &["lint", ".", "--fix", "--dry-run"]);
    assert!(
        stdout(&native).contains("+  version: \"1.1.4\""),
        "{}",
        stdout(&native)
    );
    assert_eq!(stdout(&wasm), stdout(&native), "the same diff");
    let native = run(
        &["lint", ".", "--fix", "--engine", "native"],
        native_dir.path(),
    );
    let wasm = run(
        &[
            "lint", ".", "--fix", "--engine", "plugin", "--plugin", &plugin,
        ],
        plugin_dir.path(),
    );
    assert_eq!(
        (native.status.code(), wasm.status.code()),
        (Some(0), Some(0)),
        "{}",
        stderr(&wasm)
    );
    assert!(
        stderr(&wasm).contains("fixed 5 findings in 5 files"),
        "{}",
        stderr(&wasm)
    );
    for rel in [
        "platform/flux/blueprint.yaml",
        "platform/flux/chart/values.yaml",
        "clusters/_template/bootstrap-kit/01-flux.yaml",
        "clusters/_template/flux-system/source.yaml",
        "docs/gitea.md",
    ] {
        let read = |dir: &Path| std::fs::read_to_string(dir.join(rel)).expect("read");
        assert_eq!(read(plugin_dir.path()), read(native_dir.path()), "{rel}");
    }
}

#[test]
fn cg001_is_not_fixed_when_the_blueprint_is_the_newer_side() {
    let dir = tempfile::tempdir().expect("tempdir");
    clean_component(dir.path(), "flux", "1.1.4");
    write(
        dir.path(),
        "platform/flux/blueprint.yaml",
        "apiVersion: catalyst.openova.io/v1alpha1\nkind: Blueprint\nmetadata:\n  name: bp-flux\nspec:\n  version: 1.1.5\n",
    );
    let out = run(&["lint", ".", "--fix"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("fixed 0 findings"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).contains("error[CG001]"), "{}", stdout(&out));
}
