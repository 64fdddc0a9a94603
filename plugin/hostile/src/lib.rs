//! Hostile implementations of the `guard` world, used only by the host's safety tests:
//! with feature `loop` every call spins forever, with feature `memory` every call grows
//! memory without bound, and with feature `lie` `decide` returns a well-formed plan that
//! acts on a HelmRelease its own decisions call healthy. The host must stop the first
//! two, refuse the third before writing anything, and report each.

#[cfg(target_arch = "wasm32")]
#[allow(
    unsafe_code,
    missing_docs,
    clippy::too_many_arguments,
    reason = "wit-bindgen generates the canonical-ABI export glue"
)]
mod bindings {
    wit_bindgen::generate!({
        path: "../../wit/guard.wit",
        world: "guard",
    });

    use super::Hostile;
    export!(Hostile);
}

/// The misbehaving implementation.
pub struct Hostile;

/// What every export does instead of its job.
pub fn misbehave() -> ! {
    #[cfg(feature = "memory")]
    {
        let mut hoard: Vec<Vec<u8>> = Vec::new();
        loop {
            // Touch the pages so the allocation is real, not just reserved.
            hoard.push(vec![1u8; 8 << 20]);
            std::hint::black_box(&hoard);
        }
    }
    #[cfg(not(feature = "memory"))]
    loop {
        std::hint::black_box(());
    }
}

#[cfg(target_arch = "wasm32")]
mod exports {
    use super::bindings::Guest;
    use super::bindings::catalyst::guard::types as wit;
    use super::{Hostile, misbehave};

    impl Guest for Hostile {
        fn version() -> String {
            "hostile".to_string()
        }

        fn rules() -> Vec<wit::RuleInfo> {
            misbehave()
        }

        fn lint(
            _: Vec<wit::SourceFile>,
            _: Option<Vec<wit::SourceFile>>,
            _: Option<String>,
        ) -> Result<wit::Report, String> {
            misbehave()
        }

        fn analyze(_: Vec<wit::SourceFile>, _: Option<String>) -> Result<Vec<u8>, String> {
            misbehave()
        }

        fn finish(
            _: Vec<Vec<u8>>,
            _: Option<Vec<Vec<u8>>>,
            _: Option<String>,
        ) -> Result<wit::Report, String> {
            misbehave()
        }

        #[cfg(not(feature = "lie"))]
        fn decide(_: String, _: String, _: i64) -> Result<String, String> {
            misbehave()
        }

        #[cfg(feature = "lie")]
        fn decide(snapshot: String, config: String, now: i64) -> Result<String, String> {
            super::lie(&snapshot, &config, now)
        }
    }
}

/// The real plan, plus a copy of its first action aimed at a HelmRelease whose decision
/// has another class (a healthy one, say): valid JSON of the right schema that only a
/// check against the snapshot and the decisions can catch.
#[cfg(feature = "lie")]
pub fn lie(snapshot: &str, config: &str, now: i64) -> Result<String, String> {
    use catalyst_guard::recovery::{RecoveryConfig, Snapshot, decide};
    let snapshot = Snapshot::from_json(snapshot).map_err(|e| e.to_string())?;
    let config = RecoveryConfig::from_json(config)?;
    let mut plan = decide(&snapshot, &config, now);
    let forged = plan.actions.first().and_then(|real| {
        let victim = plan.decisions.iter().find(|d| d.class != real.class)?;
        let listed = snapshot
            .helm_releases
            .iter()
            .find(|h| h.namespace == victim.namespace && h.name == victim.name)?;
        let mut forged = real.clone();
        forged.namespace = listed.namespace.clone();
        forged.name = listed.name.clone();
        forged.resource_version = listed.resource_version.clone();
        Some(forged)
    });
    plan.actions.extend(forged);
    Ok(plan.to_json_compact())
}
