// CPython's `random` module, as far as MAML's Omniglot split needs it: MT19937 seeded like
// `random.seed(int)` (init_by_array on the 32-bit words of |seed|) and `random.shuffle`
// (Python 3: `_randbelow` by rejection on `getrandbits(n.bit_length())`). Checked against CPython 3.11.

/// The Mersenne Twister with CPython's seeding and shuffle.
public struct PythonRandom {
    private var state = [UInt32](repeating: 0, count: 624)
    private var index = 624

    /// `random.seed(seed)` for a non-negative integer seed.
    public init(seed: UInt64) {
        var key: [UInt32] = [UInt32(truncatingIfNeeded: seed)]
        if seed >> 32 != 0 { key.append(UInt32(truncatingIfNeeded: seed >> 32)) }
        initialize(19_650_218)
        var i = 1, j = 0
        for _ in 0..<max(624, key.count) {
            let previous = state[i - 1] ^ (state[i - 1] >> 30)
            state[i] = (state[i] ^ (previous &* 1_664_525)) &+ key[j] &+ UInt32(j)
            i += 1
            j += 1
            if i >= 624 { state[0] = state[623]; i = 1 }
            if j >= key.count { j = 0 }
        }
        for _ in 0..<623 {
            let previous = state[i - 1] ^ (state[i - 1] >> 30)
            state[i] = (state[i] ^ (previous &* 1_566_083_941)) &- UInt32(i)
            i += 1
            if i >= 624 { state[0] = state[623]; i = 1 }
        }
        state[0] = 0x8000_0000
        index = 624
    }

    private mutating func initialize(_ seed: UInt32) {
        state[0] = seed
        for i in 1..<624 { state[i] = 1_812_433_253 &* (state[i - 1] ^ (state[i - 1] >> 30)) &+ UInt32(i) }
    }

    /// `genrand_uint32`: the next 32-bit output.
    public mutating func nextUInt32() -> UInt32 {
        if index >= 624 {
            for i in 0..<624 {
                let y = (state[i] & 0x8000_0000) | (state[(i + 1) % 624] & 0x7FFF_FFFF)
                state[i] = state[(i + 397) % 624] ^ (y >> 1) ^ ((y & 1) != 0 ? 0x9908_B0DF : 0)
            }
            index = 0
        }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    /// `random.getrandbits(k)` for 1 ≤ k ≤ 32.
    public mutating func bits(_ k: Int) -> UInt32 { nextUInt32() >> UInt32(32 - k) }

    /// `random._randbelow(n)`.
    public mutating func below(_ n: Int) -> Int {
        precondition(n >= 1 && n <= Int(UInt32.max), "PythonRandom.below(\(n))")
        let k = Int.bitWidth - n.leadingZeroBitCount
        var value = Int(bits(k))
        while value >= n { value = Int(bits(k)) }
        return value
    }

    /// `random.shuffle(list)`.
    public mutating func shuffle<T>(_ list: inout [T]) {
        guard list.count > 1 else { return }
        for i in stride(from: list.count - 1, through: 1, by: -1) {
            list.swapAt(i, below(i + 1))
        }
    }
}
