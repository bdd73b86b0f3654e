//! Kernel randomness for `getrandom`, `/dev/urandom` and `AT_RANDOM`: a ChaCha-free, simple
//! xoshiro256** generator seeded from RDRAND and the TSC. Not cryptographically vetted; a
//! proper CSPRNG (ChaCha20, as Linux's `random.c`) replaces it before anything depends on it.
//! Each CPU has its own generator state (as Linux's per-CPU `crngs`), so drawing takes no
//! lock; a CPU seeds its state on first use. Data written to `/dev/random` (or added with
//! `RNDADDENTROPY`) is mixed into the writing CPU's state; `RNDRESEEDCRNG` reseeds it.

use core::cell::Cell;
use hal::sync::{CpuLocal, MAX_CPUS};

/// Per CPU: the generator state (all zero until seeded).
static STATE: CpuLocal<Cell<[u64; 4]>> = CpuLocal::new([const { Cell::new([0; 4]) }; MAX_CPUS]);

fn seed() -> [u64; 4] {
    let mut state = [0u64; 4];
    for (i, word) in state.iter_mut().enumerate() {
        let hardware = hal::cpu::rdrand().unwrap_or(0);
        *word = hardware
            ^ hal::cpu::rdtsc().rotate_left(i as u32 * 13)
            ^ (0x9e37_79b9_7f4a_7c15u64.wrapping_mul(i as u64 + 1));
    }
    if state.iter().all(|&w| w == 0) {
        state[0] = 1;
    }
    state
}

/// Seeds the boot CPU's generator from RDRAND (when present) and the TSC.
pub fn init() {
    STATE.with(|state| state.set(seed()));
}

fn next(state: &mut [u64; 4]) -> u64 {
    let result = state[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
    let t = state[1] << 17;
    state[2] ^= state[0];
    state[3] ^= state[1];
    state[1] ^= state[2];
    state[0] ^= state[3];
    state[2] ^= t;
    state[3] = state[3].rotate_left(45);
    result
}

/// Fills `buf` with random bytes.
pub fn fill(buf: &mut [u8]) {
    STATE.with(|cell| {
        let mut state = cell.get();
        if state == [0; 4] {
            state = seed();
        }
        for chunk in buf.chunks_mut(8) {
            let bytes = next(&mut state).to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
        cell.set(state);
    });
}

/// Mixes `data` into this CPU's state (Linux's `write_pool`: what user space writes to the
/// random devices).
pub fn mix(data: &[u8]) {
    STATE.with(|cell| {
        let mut state = cell.get();
        if state == [0; 4] {
            state = seed();
        }
        for (i, chunk) in data.chunks(8).enumerate() {
            let mut bytes = [0u8; 8];
            bytes[..chunk.len()].copy_from_slice(chunk);
            state[i % 4] ^= u64::from_le_bytes(bytes);
            next(&mut state);
        }
        if state.iter().all(|&w| w == 0) {
            state[0] = 1;
        }
        cell.set(state);
    });
}

/// Reseeds this CPU's state from RDRAND and the TSC, keeping what was mixed in
/// (`crng_reseed`).
pub fn reseed() {
    STATE.with(|cell| {
        let fresh = seed();
        let mut state = cell.get();
        for (word, new) in state.iter_mut().zip(fresh) {
            *word ^= new;
        }
        if state.iter().all(|&w| w == 0) {
            state[0] = 1;
        }
        cell.set(state);
    });
}

/// A random 64-bit number.
pub fn u64() -> u64 {
    let mut bytes = [0u8; 8];
    fill(&mut bytes);
    u64::from_le_bytes(bytes)
}
