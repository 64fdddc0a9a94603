//! Catalyst location codes: four characters, provider + region + building block +
//! environment type, one character each (`hfmp` = Hetzner Falkenstein mgt prod).
//!
//! The table ships with the codes in `shared/DOMAIN.md` and is extended by
//! configuration, because new regions appear faster than releases.

use std::fmt;

/// A building block: which kind of cluster a component runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuildingBlock {
    /// One-character code in a location code.
    pub code: char,
    /// Short name used in messages (`mgt`).
    pub short: &'static str,
    /// Long name (`management`).
    pub long: &'static str,
}

/// Every building block; a closed set (the platform's cluster roles).
pub const BUILDING_BLOCKS: [BuildingBlock; 3] = [
    BuildingBlock {
        code: 'r',
        short: "rtz",
        long: "restricted",
    },
    BuildingBlock {
        code: 'd',
        short: "dmz",
        long: "edge",
    },
    BuildingBlock {
        code: 'm',
        short: "mgt",
        long: "management",
    },
];

/// The management building block, where Gitea and the host-level Flux run.
pub const MANAGEMENT: char = 'm';

/// Every environment type: code and name.
pub const ENV_TYPES: [(char, &str); 5] = [
    ('p', "prod"),
    ('s', "stg"),
    ('u', "uat"),
    ('d', "dev"),
    ('c', "poc"),
];

/// A provider with its provider-scoped regions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    /// One-character code.
    pub code: char,
    /// Display name (`Hetzner`).
    pub name: String,
    /// Region code and display name, in table order.
    pub regions: Vec<(char, String)>,
}

/// The table of providers and regions used to decode location codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationTable {
    providers: Vec<Provider>,
}

impl Default for LocationTable {
    fn default() -> Self {
        let p = |code, name: &str, regions: &[(char, &str)]| Provider {
            code,
            name: name.to_string(),
            regions: regions.iter().map(|(c, n)| (*c, n.to_string())).collect(),
        };
        Self {
            providers: vec![
                p(
                    'h',
                    "Hetzner",
                    &[
                        ('f', "Falkenstein"),
                        ('n', "Nuremberg"),
                        ('l', "Helsinki"),
                        ('a', "Ashburn"),
                        ('i', "Hillsboro"),
                        ('s', "Singapore"),
                    ],
                ),
                p(
                    'w',
                    "Huawei",
                    &[
                        ('p', "AP-Southeast"),
                        ('c', "CN-North"),
                        ('q', "LA-South"),
                        ('r', "ME-Riyadh"),
                    ],
                ),
                p(
                    'o',
                    "OCI",
                    &[
                        ('x', "Dubai"),
                        ('r', "Frankfurt"),
                        ('g', "Singapore"),
                        ('d', "Ashburn"),
                        ('y', "Sydney"),
                    ],
                ),
                p('a', "AWS", &[]),
                p('g', "GCP", &[]),
                p('z', "Azure", &[]),
                p('c', "Contabo", &[('e', "EU")]),
            ],
        }
    }
}

/// A decoded location code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The code as written.
    pub code: String,
    /// Provider display name.
    pub provider: String,
    /// Region display name.
    pub region: String,
    /// Building block.
    pub building_block: BuildingBlock,
    /// Environment type name (`prod`).
    pub env: &'static str,
}

impl Location {
    /// The same code on building block `block` (`hfrp` on [`MANAGEMENT`] -> `hfmp`),
    /// where a service that runs there should be reached.
    pub fn on_building_block(&self, block: char) -> String {
        self.code
            .chars()
            .enumerate()
            .map(|(i, c)| if i == 2 { block } else { c })
            .collect()
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {}",
            self.provider, self.region, self.building_block.short, self.env
        )
    }
}

/// Why a string is not a valid location code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocationError {
    /// Not exactly four characters.
    #[error(
        "`{0}` is not a location code (expected 4 characters: provider, region, building block, env type)"
    )]
    Length(String),
    /// Unknown provider character.
    #[error("`{code}` has unknown provider `{provider}`")]
    Provider {
        /// The code as written.
        code: String,
        /// The offending character.
        provider: char,
    },
    /// Region not known for the provider.
    #[error("`{code}` has region `{region}`, which is not known for {provider}")]
    Region {
        /// The code as written.
        code: String,
        /// Provider display name.
        provider: String,
        /// The offending character.
        region: char,
    },
    /// Unknown building block character.
    #[error("`{code}` has unknown building block `{block}` (r rtz, d dmz, m mgt)")]
    BuildingBlock {
        /// The code as written.
        code: String,
        /// The offending character.
        block: char,
    },
    /// Unknown environment type character.
    #[error("`{code}` has unknown env type `{env}` (p prod, s stg, u uat, d dev, c poc)")]
    Env {
        /// The code as written.
        code: String,
        /// The offending character.
        env: char,
    },
}

impl LocationTable {
    /// The providers, in table order.
    pub fn providers(&self) -> &[Provider] {
        &self.providers
    }

    /// Adds or renames a provider.
    pub fn add_provider(&mut self, code: char, name: &str) {
        match self.providers.iter_mut().find(|p| p.code == code) {
            Some(p) => p.name = name.to_string(),
            None => self.providers.push(Provider {
                code,
                name: name.to_string(),
                regions: Vec::new(),
            }),
        }
    }

    /// Adds or renames a region of an existing provider; false if the provider is unknown.
    pub fn add_region(&mut self, provider: char, code: char, name: &str) -> bool {
        let Some(p) = self.providers.iter_mut().find(|p| p.code == provider) else {
            return false;
        };
        match p.regions.iter_mut().find(|(c, _)| *c == code) {
            Some(r) => r.1 = name.to_string(),
            None => p.regions.push((code, name.to_string())),
        }
        true
    }

    /// Decodes a four-character location code.
    pub fn decode(&self, code: &str) -> Result<Location, LocationError> {
        let chars: Vec<char> = code.chars().collect();
        let [p, r, b, e] = chars.as_slice() else {
            return Err(LocationError::Length(code.to_string()));
        };
        let provider = self
            .providers
            .iter()
            .find(|x| x.code == *p)
            .ok_or_else(|| LocationError::Provider {
                code: code.to_string(),
                provider: *p,
            })?;
        let region = provider
            .regions
            .iter()
            .find(|(c, _)| c == r)
            .ok_or_else(|| LocationError::Region {
                code: code.to_string(),
                provider: provider.name.clone(),
                region: *r,
            })?;
        let building_block = BUILDING_BLOCKS
            .iter()
            .find(|x| x.code == *b)
            .copied()
            .ok_or_else(|| LocationError::BuildingBlock {
                code: code.to_string(),
                block: *b,
            })?;
        let env = ENV_TYPES
            .iter()
            .find(|(c, _)| c == e)
            .map(|(_, n)| *n)
            .ok_or_else(|| LocationError::Env {
                code: code.to_string(),
                env: *e,
            })?;
        Ok(Location {
            code: code.to_string(),
            provider: provider.name.clone(),
            region: region.1.clone(),
            building_block,
            env,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hfmp_decodes_to_hetzner_falkenstein_mgt_prod() {
        let loc = LocationTable::default().decode("hfmp").unwrap();
        assert_eq!(loc.to_string(), "Hetzner Falkenstein mgt prod");
    }

    #[test]
    fn regions_are_provider_scoped() {
        let t = LocationTable::default();
        assert_eq!(t.decode("orms").unwrap().region, "Frankfurt");
        assert_eq!(t.decode("wrmp").unwrap().region, "ME-Riyadh");
        assert!(matches!(
            t.decode("hrmp"),
            Err(LocationError::Region { region: 'r', .. })
        ));
    }

    #[test]
    fn every_position_is_validated() {
        let t = LocationTable::default();
        assert!(matches!(t.decode("hfm"), Err(LocationError::Length(_))));
        assert!(matches!(
            t.decode("xfmp"),
            Err(LocationError::Provider { .. })
        ));
        assert!(matches!(
            t.decode("hfxp"),
            Err(LocationError::BuildingBlock { .. })
        ));
        assert!(matches!(t.decode("hfmx"), Err(LocationError::Env { .. })));
        assert!(matches!(t.decode("hfmpp"), Err(LocationError::Length(_))));
    }

    #[test]
    fn the_table_is_extensible() {
        let mut t = LocationTable::default();
        assert!(t.decode("aemp").is_err());
        assert!(t.add_region('a', 'e', "eu-central-1"));
        assert_eq!(t.decode("aemp").unwrap().region, "eu-central-1");
        t.add_provider('v', "Vultr");
        assert!(t.add_region('v', 'f', "Frankfurt"));
        assert_eq!(t.decode("vfmd").unwrap().provider, "Vultr");
        assert!(!t.add_region('q', 'x', "nowhere"));
    }
}
