//! Flux helm-controller's naming rules for the Helm release behind a HelmRelease
//! (`helm.toolkit.fluxcd.io/v2`), which decide where its storage secrets live.
//!
//! - Release name: `spec.releaseName`, else `<spec.targetNamespace>-<metadata.name>`
//!   when `targetNamespace` is set, else `metadata.name`. A name longer than 53
//!   characters (Helm's limit) becomes `name[..40] + "-" + hex(sha256(name))[..12]`.
//! - Storage namespace: `spec.storageNamespace`, else `metadata.namespace`.
//!
//! The shell CronJob this replaces forgot the `targetNamespace` prefix and so looked
//! up the wrong secrets; these functions are the single place the rule lives.

use sha2::{Digest, Sha256};

/// Helm's maximum release name length.
pub const MAX_RELEASE_NAME: usize = 53;

/// The Helm release name Flux uses for a HelmRelease.
pub fn release_name(
    name: &str,
    release_name: Option<&str>,
    target_namespace: Option<&str>,
) -> String {
    let full = match (
        release_name.filter(|r| !r.is_empty()),
        target_namespace.filter(|t| !t.is_empty()),
    ) {
        (Some(r), _) => r.to_string(),
        (None, Some(t)) => format!("{t}-{name}"),
        (None, None) => name.to_string(),
    };
    shorten(&full)
}

/// Applies the 53-character shortening: 40 characters, `-`, 12 hex digits of SHA-256.
pub fn shorten(name: &str) -> String {
    if name.len() <= MAX_RELEASE_NAME {
        return name.to_string();
    }
    let digest = Sha256::digest(name.as_bytes());
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    // Release names are DNS labels (ASCII), but never split a character on bad input.
    let mut cut = 40.min(name.len());
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}-{hex}", name.get(..cut).unwrap_or_default())
}

/// The namespace holding the release's storage secrets.
pub fn storage_namespace<'a>(namespace: &'a str, storage_namespace: Option<&'a str>) -> &'a str {
    storage_namespace
        .filter(|s| !s.is_empty())
        .unwrap_or(namespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_name_defaults_follow_flux() {
        assert_eq!(release_name("podinfo", None, None), "podinfo");
        assert_eq!(release_name("podinfo", None, Some("apps")), "apps-podinfo");
        assert_eq!(
            release_name("podinfo", Some("custom"), Some("apps")),
            "custom"
        );
        assert_eq!(release_name("podinfo", Some(""), None), "podinfo");
    }

    #[test]
    fn long_names_are_shortened_with_a_sha256_suffix() {
        // helm-controller's `ShortenName`: name[:40] + "-" + hex(sha256(name))[:12].
        // The expected value was computed independently with Python's hashlib.
        let full = "a-very-long-target-namespace-name-for-testing-a-very-long-helmrelease-name";
        assert_eq!(
            shorten(full),
            "a-very-long-target-namespace-name-for-te-c0516c9663c6"
        );
        assert_eq!(
            release_name(
                "a-very-long-helmrelease-name",
                None,
                Some("a-very-long-target-namespace-name-for-testing")
            ),
            "a-very-long-target-namespace-name-for-te-c0516c9663c6"
        );
        let exactly = "x".repeat(53);
        assert_eq!(shorten(&exactly), exactly);
        assert_eq!(shorten(&"x".repeat(54)).len(), 53);
    }

    #[test]
    fn storage_namespace_defaults_to_the_object_namespace() {
        assert_eq!(storage_namespace("flux-system", None), "flux-system");
        assert_eq!(storage_namespace("flux-system", Some("apps")), "apps");
    }
}
