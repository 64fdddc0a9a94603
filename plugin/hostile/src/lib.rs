//! Hostile implementations of the `guard` world, used only by the host's safety tests:
//! with feature `loop` every call spins forever, with feature `memory` every call grows
//! memory without bound. The host must stop both and report it.

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

        fn decide(_: String, _: String, _: i64) -> Result<String, String> {
            misbehave()
        }
    }
}
