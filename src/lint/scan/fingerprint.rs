//! The text scan's search on WebAssembly: a SIMD fingerprint filter (the idea of
//! Hyperscan's Teddy) over the lowercased text, then an exact check at each candidate.
//!
//! Natively the scan uses `aho-corasick`, whose Teddy prefilter needs x86-64 or
//! aarch64 SIMD. On `wasm32` it has no prefilter for more than three distinct start
//! bytes and walks its DFA over every byte: in the plugin that walk was ~8% of the
//! linter's CPU time against ~0.1% natively. This module gives the plugin the same
//! kind of skip with `simd128`: each 16-byte block is tested against the first one to
//! three bytes of every needle in a handful of vector instructions, and only the rare
//! positions that pass are compared byte by byte.
//!
//! It reports exactly what the automaton reports (leftmost-longest, non-overlapping,
//! the lowest pattern index among equal needles): the tests compare it with
//! `aho-corasick` on generated texts, and the host's differential test compares the
//! plugin, which runs the SIMD path, with the native build.

// Natively only the tests use it; the scan keeps `aho-corasick`.
#![cfg_attr(
    not(all(target_arch = "wasm32", target_feature = "simd128")),
    allow(dead_code)
)]

/// Needles assigned to a bucket each (round robin) and, per fingerprint byte, the
/// buckets whose needles can have each low and each high nibble there.
#[derive(Clone, Debug)]
pub struct Fingerprints {
    /// The lowercase needles; a needle's index is its pattern index.
    needles: Vec<Vec<u8>>,
    /// The needle indexes in each bucket, ascending.
    buckets: [Vec<usize>; 8],
    /// Bytes of every needle used as its fingerprint: the shortest needle's length,
    /// at most 3.
    width: usize,
    /// For fingerprint byte `i`: `lo[i][n]` has bucket `b`'s bit when some needle in
    /// `b` has low nibble `n` at offset `i`, `hi[i][n]` the same for the high nibble.
    lo: [[u8; 16]; 3],
    hi: [[u8; 16]; 3],
}

impl Fingerprints {
    /// The filter for `needles` (already lowercase), or `None` when there is nothing to
    /// search for or a needle is empty.
    pub fn new(needles: &[String]) -> Option<Self> {
        let width = needles.iter().map(String::len).min()?.min(3);
        if width == 0 {
            return None;
        }
        let mut buckets: [Vec<usize>; 8] = Default::default();
        let mut lo = [[0u8; 16]; 3];
        let mut hi = [[0u8; 16]; 3];
        for (i, needle) in needles.iter().enumerate() {
            let bucket = i % 8;
            buckets.get_mut(bucket)?.push(i);
            let bit = 1u8 << bucket;
            for (at, &byte) in needle.as_bytes().iter().take(width).enumerate() {
                *lo.get_mut(at)?.get_mut(usize::from(byte & 0x0f))? |= bit;
                *hi.get_mut(at)?.get_mut(usize::from(byte >> 4))? |= bit;
            }
        }
        Some(Self {
            needles: needles.iter().map(|n| n.as_bytes().to_vec()).collect(),
            buckets,
            width,
            lo,
            hi,
        })
    }

    /// Every match in `text`, leftmost-longest and non-overlapping, in text order:
    /// `emit(pattern, start, end)` is called for each until it returns `false`.
    pub fn find(&self, text: &[u8], mut emit: impl FnMut(usize, usize, usize) -> bool) {
        let mut next = 0;
        let mut on_candidate = |at: usize, buckets: u8| -> bool {
            if at < next {
                return true;
            }
            match self.longest_at(text, at, buckets) {
                Some((pattern, len)) => {
                    next = at + len;
                    emit(pattern, at, at + len)
                }
                None => true,
            }
        };
        let from = self.candidates_simd(text, &mut on_candidate);
        if let Some(from) = from {
            self.candidates_scalar(text, from, &mut on_candidate);
        }
    }

    /// The buckets whose fingerprint matches at `at` (0 if none, or too near the end).
    fn buckets_at(&self, text: &[u8], at: usize) -> u8 {
        let mut buckets = 0xff;
        for i in 0..self.width {
            let (Some(&byte), Some(lo), Some(hi)) =
                (text.get(at + i), self.lo.get(i), self.hi.get(i))
            else {
                return 0;
            };
            let lo = lo.get(usize::from(byte & 0x0f)).copied().unwrap_or(0);
            let hi = hi.get(usize::from(byte >> 4)).copied().unwrap_or(0);
            buckets &= lo & hi;
        }
        buckets
    }

    /// Calls `f` for each position from `from` on whose fingerprint matches, until it
    /// returns `false`.
    fn candidates_scalar(&self, text: &[u8], from: usize, f: &mut impl FnMut(usize, u8) -> bool) {
        for at in from..text.len() {
            let buckets = self.buckets_at(text, at);
            if buckets != 0 && !f(at, buckets) {
                return;
            }
        }
    }

    /// The SIMD pass over whole 16-byte blocks: calls `f` for each candidate and
    /// returns where the scalar pass takes over, or `None` when `f` stopped the search.
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    fn candidates_simd(&self, text: &[u8], f: &mut impl FnMut(usize, u8) -> bool) -> Option<usize> {
        use core::arch::wasm32::{
            u8x16_bitmask, u8x16_ne, u8x16_shr, u8x16_splat, u8x16_swizzle, v128, v128_and,
            v128_any_true,
        };
        let nibble = u8x16_splat(0x0f);
        let zero = u8x16_splat(0);
        // The nibble tables as vectors, once per call (no allocation).
        let tables: [(v128, v128); 3] = core::array::from_fn(|i| {
            let table = |t: &[[u8; 16]; 3]| t.get(i).and_then(|t| vector(t)).unwrap_or(zero);
            (table(&self.lo), table(&self.hi))
        });
        let tables = tables.get(..self.width).unwrap_or(&[]);
        let mut at = 0;
        // A block at `at` needs `width - 1` bytes after it for the later fingerprint
        // bytes; the rest is the scalar pass's.
        while at + 16 + self.width - 1 <= text.len() {
            let mut hits = u8x16_splat(0xff);
            for (i, (lo, hi)) in tables.iter().enumerate() {
                let Some(block) = text.get(at + i..).and_then(vector) else {
                    return Some(at);
                };
                let l = u8x16_swizzle(*lo, v128_and(block, nibble));
                let h = u8x16_swizzle(*hi, u8x16_shr(block, 4));
                hits = v128_and(hits, v128_and(l, h));
            }
            if v128_any_true(hits) {
                let lanes = hits_to_bytes(hits);
                let mut mask = u8x16_bitmask(u8x16_ne(hits, zero));
                while mask != 0 {
                    let lane = mask.trailing_zeros() as usize;
                    mask &= mask - 1;
                    let buckets = lanes.get(lane).copied().unwrap_or(0);
                    if !f(at + lane, buckets) {
                        return None;
                    }
                }
            }
            at += 16;
        }
        Some(at)
    }

    /// Without `simd128` every position is tested by the scalar pass.
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    fn candidates_simd(
        &self,
        _text: &[u8],
        _f: &mut impl FnMut(usize, u8) -> bool,
    ) -> Option<usize> {
        Some(0)
    }

    /// The longest needle in `buckets` that starts at `at` (the lowest index among
    /// equals), with its length.
    fn longest_at(&self, text: &[u8], at: usize, buckets: u8) -> Option<(usize, usize)> {
        let rest = text.get(at..)?;
        let mut best: Option<(usize, usize)> = None;
        for (b, ids) in self.buckets.iter().enumerate() {
            if buckets & (1 << b) == 0 {
                continue;
            }
            for &id in ids {
                let Some(needle) = self.needles.get(id) else {
                    continue;
                };
                if !rest.starts_with(needle) {
                    continue;
                }
                let better = match best {
                    None => true,
                    Some((best_id, len)) => {
                        needle.len() > len || (needle.len() == len && id < best_id)
                    }
                };
                if better {
                    best = Some((id, needle.len()));
                }
            }
        }
        best
    }
}

/// The first 16 bytes of `bytes` as a vector, if it has that many.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn vector(bytes: &[u8]) -> Option<core::arch::wasm32::v128> {
    let lo = u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?);
    let hi = u64::from_le_bytes(bytes.get(8..16)?.try_into().ok()?);
    Some(core::arch::wasm32::u64x2(lo, hi))
}

/// The 16 lanes of a vector as bytes.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn hits_to_bytes(v: core::arch::wasm32::v128) -> [u8; 16] {
    use core::arch::wasm32::u64x2_extract_lane;
    let lo = u64x2_extract_lane::<0>(v).to_le_bytes();
    let hi = u64x2_extract_lane::<1>(v).to_le_bytes();
    let mut out = [0u8; 16];
    for (o, b) in out.iter_mut().zip(lo.iter().chain(&hi)) {
        *o = *b;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use aho_corasick::{AhoCorasickBuilder, MatchKind};

    fn via_fingerprints(needles: &[&str], text: &[u8]) -> Vec<(usize, usize, usize)> {
        let owned: Vec<String> = needles.iter().map(|s| s.to_string()).collect();
        let fp = Fingerprints::new(&owned).expect("needles are not empty");
        let mut out = Vec::new();
        fp.find(text, |p, s, e| {
            out.push((p, s, e));
            true
        });
        out
    }

    fn via_automaton(needles: &[&str], text: &[u8]) -> Vec<(usize, usize, usize)> {
        let ac = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(needles)
            .expect("automaton");
        ac.find_iter(text)
            .map(|m| (m.pattern().as_usize(), m.start(), m.end()))
            .collect()
    }

    /// A small deterministic generator (xorshift), so failures reproduce.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn matches_the_automaton_on_generated_texts() {
        let sets: [&[&str]; 6] = [
            &[
                "gitea.",
                "flux-webhook.",
                "catalyst-guard:",
                "tenant",
                "minio",
                "k8gb",
                "sops",
            ],
            // Needles inside needles, equal needles, shared prefixes, one-byte needles.
            &["ab", "abc", "b", "bc", "abcd", "ab"],
            &["te", "tenant", "tenants", "ant", "nan"],
            &["x", "xy", "yx"],
            // More needles than buckets.
            &[
                "alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta", "iota", "kappa",
                "lambda", "mu", "nu", "xi",
            ],
            &[
                "lifecycle manager",
                "module",
                "template",
                "operator",
                "ü-term",
            ],
        ];
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for needles in sets {
            let alphabet: Vec<u8> = needles
                .iter()
                .flat_map(|n| n.bytes())
                .chain(*b" .:-\n")
                .collect();
            for round in 0..300 {
                let len = rng.below(200);
                let mut text = Vec::with_capacity(len + 32);
                while text.len() < len {
                    if rng.below(4) == 0 {
                        let n = needles[rng.below(needles.len())].as_bytes();
                        text.extend_from_slice(n);
                    } else {
                        text.push(alphabet[rng.below(alphabet.len())]);
                    }
                }
                assert_eq!(
                    via_fingerprints(needles, &text),
                    via_automaton(needles, &text),
                    "needles {needles:?}, round {round}, text {:?}",
                    String::from_utf8_lossy(&text)
                );
            }
        }
    }

    #[test]
    fn stops_when_asked() {
        let fp = Fingerprints::new(&["ab".to_string()]).expect("filter");
        let mut seen = 0;
        fp.find(b"ab ab ab ab", |_, _, _| {
            seen += 1;
            seen < 2
        });
        assert_eq!(seen, 2);
    }

    #[test]
    fn empty_needles_have_no_filter() {
        assert!(Fingerprints::new(&[]).is_none());
        assert!(Fingerprints::new(&["a".to_string(), String::new()]).is_none());
    }
}
