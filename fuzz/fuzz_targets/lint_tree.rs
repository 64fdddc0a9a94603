//! YAML + lint of a whole file set, as `catalyst-guard lint` sees a repository.
//!
//! Input: files in `==> path <==` form (`props::files`), seeded with the fixture
//! trees, so mutations start from a Sovereign layout (`platform/<name>/...`,
//! `clusters/_template/bootstrap-kit/...`) and the dictionary carries its path pieces
//! and keys. A `.catalyst-guard.yaml` in the set configures the run.
//! Calls: `lint::lint`, `render::json`, `Config::parse`.
//! Property: the JSON report reads back into the same findings and counts, and every
//! finding's line, column and width lie inside its file.
#![no_main]

use catalyst_guard_fuzz::props;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let files = props::files(data);
    if files.is_empty() {
        return;
    }
    let config = props::config_of(&files);
    props::check_lint(&files, &config);
});
