// SplitMix64: a small, fast, seedable generator (Steele, Lea & Flood, "Fast splittable
// pseudorandom number generators", OOPSLA 2014; constants from Vigna's splitmix64.c).

/// A seeded `RandomNumberGenerator` whose whole state is one `UInt64`.
///
/// Save `state` with a checkpoint and restore it with `init(state:)` to resume a run exactly.
/// Seed 0 gives 0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F, … (reference values).
public struct SplitMix64: RandomNumberGenerator, Sendable, Codable, Equatable {
    /// The complete generator state: the next output is a function of this value alone.
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// Resumes a generator from a saved `state` (the same thing as seeding with it).
    public init(state: UInt64) { self.state = state }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// An independent generator for a sub-stream (e.g. one per worker), derived from this one.
    public mutating func split() -> SplitMix64 { SplitMix64(seed: next()) }
}
