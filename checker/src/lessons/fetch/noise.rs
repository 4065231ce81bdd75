//! Bodies of any size that look random and are the same from the same
//! seed however they are cut into pieces: the checker sends and compares
//! them without holding them whole.

/// A deterministic stream of bytes that looks random: the same seed gives
/// the same bytes however they are cut into pieces, so the checker never
/// holds a big body to compare it.
pub(super) struct Noise {
    seed: u64,
    at: u64,
}

impl Noise {
    pub(super) fn new(seed: u64) -> Noise {
        Noise { seed, at: 0 }
    }

    pub(super) fn fill(&mut self, buf: &mut [u8]) {
        let (mut word, mut which) = ([0u8; 8], u64::MAX);
        for byte in buf {
            if self.at / 8 != which {
                which = self.at / 8;
                // splitmix64 of the word's number.
                let mut z = self.seed ^ which.wrapping_mul(0x9e37_79b9_7f4a_7c15);
                z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                word = (z ^ (z >> 31)).to_le_bytes();
            }
            *byte = word[(self.at % 8) as usize];
            self.at += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noise_is_the_same_from_the_same_seed_in_any_pieces() {
        let (mut whole, mut parts) = (vec![0u8; 64], vec![0u8; 64]);
        Noise::new(3).fill(&mut whole);
        let mut n = Noise::new(3);
        let (a, b) = parts.split_at_mut(5);
        n.fill(a);
        n.fill(b);
        assert_eq!(whole, parts);
        assert_ne!(whole, vec![0u8; 64]);
    }
}
