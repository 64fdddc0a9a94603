//! The recovery decision: a Snapshot (JSON, as `recover --snapshot` and the plugin
//! read it) or a generated cluster, through `decide`.
//!
//! Input starting with `{`: Snapshot JSON, decided with the default configuration
//! (seeded with the recovery fixtures). Anything else: a cluster and configuration
//! generated from the bytes (`Cluster`: colliding names, Ready conditions, storage
//! revisions, suspend markers, namespace scopes and a label selector).
//! Calls: `Snapshot::from_json`, `Snapshot::to_json`, `decide`, `Plan::to_json`.
//! Property (`props::check_decide`): never an action on a HelmRelease suspended by
//! someone else, Ready=True, or outside the namespaces or selector; never more than
//! `maxActions` actions, none once the guardrail trips; one decision per HelmRelease;
//! the plan and the snapshot read back from their JSON; the same plan twice.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use catalyst_guard::recovery::{RecoveryConfig, Snapshot};
use catalyst_guard_fuzz::{Cluster, NOW, props};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.first() == Some(&b'{') {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        let Ok(snapshot) = Snapshot::from_json(text) else {
            return;
        };
        props::check_snapshot_round_trip(&snapshot);
        let config = RecoveryConfig::default();
        props::check_decide(&snapshot, &config, NOW, Some(&[] as &[props::Term]));
        return;
    }
    let Ok(cluster) = Cluster::arbitrary(&mut Unstructured::new(data)) else {
        return;
    };
    props::check_snapshot_round_trip(&cluster.snapshot);
    props::check_decide(
        &cluster.snapshot,
        &cluster.config,
        cluster.now,
        Some(cluster.terms.as_slice()),
    );
});
