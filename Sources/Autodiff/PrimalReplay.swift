// Primal replay: a gradient pass keeps the primal values its ops compute, and a later
// Hessian-vector product at the same point takes them back instead of computing them again.
//
// Why it is exact: an op's primal value depends only on primal inputs, never on tangents. The
// HVP pass at θ runs the same ops, in the same order, on the same primal values as the gradient
// pass at θ (forward, then pullbacks); only the tangents are new. So the i-th primal value the HVP
// needs is the i-th value the gradient pass computed, bit for bit. MAML's adjoint loop takes a
// gradient at every θₖ in the inner loop and an HVP at the same θₖ on the way back: with replay,
// the HVP computes only its tangents (about a third less work).
//
// Contract of an op that takes part: it computes its primal value through `primalValue`, before
// and regardless of tangents (never inside a branch on whether a tangent exists), with a key made
// of its input shapes and parameters. Each replayed entry is checked against the op and its key;
// at the first mismatch the replay stops and every later op computes its own value, so a replay
// of another function costs speed and sets `hasDiverged`. The caller's part of the contract is
// the same point: the key cannot see input values (`metaGradient` holds θₖ for both passes).

/// The ops whose primal values can be replayed.
enum PrimalSite: UInt8 {
    case add, subtract, multiply, divide, scale, addScalar, addBias, columnSums
    case matmul, im2col, col2im, gather, scatter, maxPool, maxUnpool, sumAxis, broadcast, transpose
    case logSoftmax, exp, log, relu, keepPositive, leakyRelu, sigmoid, softplus, square, rsqrt
    case batchNormForward, batchNormBackward
    case convolution, transposedConvolution, convolutionWeightGradient, batchNormMaxPool, batchNormMaxPoolBackward
    case patchMoments, patchProduct, patchMaskedMoments, stackRows
}

/// The primal values of one gradient pass, to be replayed by one HVP at the same inputs.
///
/// Use: `record.recording { gradient(at: x, in: f) }`, later
/// `record.replaying { hessianVectorProduct(at: x, along: v, in: f) }` with the same x and f.
/// One record belongs to one thread; a replay can run once.
public final class PrimalRecord: @unchecked Sendable {
    private enum Mode { case idle, recording, replaying }
    private struct Entry {
        var site: PrimalSite
        var key: [Int]
        var value: Any
    }

    private var entries: [Entry] = []
    private var cursor = 0
    private var mode = Mode.idle
    /// The number of values taken from the record instead of being computed.
    public private(set) var replayedCount = 0
    /// True when a replay met an op that did not match the record and stopped replaying.
    public private(set) var hasDiverged = false

    @TaskLocal static var active: PrimalRecord?

    public init() {}

    /// The number of values recorded.
    public var count: Int { entries.count }

    /// Runs `body`, keeping the primal values its ops compute.
    public func recording<R>(_ body: () -> R) -> R {
        precondition(mode == .idle && entries.isEmpty, "PrimalRecord: record once, then replay once")
        mode = .recording
        defer { mode = .idle }
        return PrimalRecord.$active.withValue(self, operation: body)
    }

    /// Runs `body`, handing its ops the recorded values in order; the record is emptied afterwards.
    /// An empty record (nothing recorded) lets `body` compute everything.
    public func replaying<R>(_ body: () -> R) -> R {
        precondition(mode == .idle, "PrimalRecord: replay runs once, after recording")
        if entries.isEmpty { return body() }
        mode = .replaying
        defer {
            mode = .idle
            entries = []
        }
        return PrimalRecord.$active.withValue(self, operation: body)
    }

    fileprivate func value<T>(_ site: PrimalSite, _ key: () -> [Int], _ compute: () -> T) -> T {
        switch mode {
        case .idle:
            return compute()
        case .recording:
            let value = compute()
            entries.append(Entry(site: site, key: key(), value: value))
            return value
        case .replaying:
            if !hasDiverged, cursor < entries.count, entries[cursor].site == site,
               entries[cursor].key == key(), let value = entries[cursor].value as? T {
                entries[cursor].value = ()  // release it as soon as it is used
                cursor += 1
                replayedCount += 1
                return value
            }
            hasDiverged = true
            return compute()
        }
    }
}

/// An op's primal value: computed, kept by an active recording, or taken from an active replay.
/// `key` (input shapes and op parameters, evaluated only while a record is active) guards
/// against replaying another op.
@inline(__always)
func primalValue<T>(_ site: PrimalSite, _ key: @autoclosure () -> [Int], _ compute: () -> T) -> T {
    guard let record = PrimalRecord.active else { return compute() }
    return record.value(site, key, compute)
}
