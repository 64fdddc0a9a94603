//! Names the platform depends on: location codes, the canonical service host and Gitea
//! URL grammar, and (for recovery) Flux's Helm release-name rules.

pub mod location;
mod public_suffix;
pub mod release;
pub mod url;

pub use location::{Location, LocationError, LocationTable};
pub use url::{
    HostRules, Problem, check_gitea_url, check_service_host, check_service_host_with,
    is_location_stand_in, is_stand_in,
};
