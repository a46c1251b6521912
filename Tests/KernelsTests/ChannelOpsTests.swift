// Per-channel kernels (the fused batch norm's pieces) against their references on awkward shapes.

import Kernels
import Testing

@Suite struct ChannelOpsTests {
    static let shapes = [(1, 1), (7, 3), (13, 8), (33, 9), (65, 17), (130, 64)]

    @Test(arguments: shapes, [false, true])
    func scaleShiftMatchesReference(shape: (Int, Int), accumulate: Bool) {
        let (rows, channels) = shape
        let x = Buffer<Float>.random(rows * channels, seed: 1)
        let scale = Buffer<Float>.random(channels, seed: 2), shift = Buffer<Float>.random(channels, seed: 3)
        for (useScale, useShift) in [(true, true), (false, true), (true, false), (false, false)] {
            let fast = Buffer<Float>.random(rows * channels, seed: 4), slow = Buffer<Float>.random(rows * channels, seed: 4)
            channelScaleShift(x.input, scale: useScale ? scale.input : nil, shift: useShift ? shift.input : nil,
                              into: fast.output, rows: rows, channels: channels, accumulate: accumulate)
            channelScaleShiftReference(x.input, scale: useScale ? scale.input : nil, shift: useShift ? shift.input : nil,
                                       into: slow.output, rows: rows, channels: channels, accumulate: accumulate)
            #expect(maxRelativeError(fast.array, slow.array) < 1e-6)
        }
    }

    @Test(arguments: shapes, [false, true])
    func centeredScaleMatchesReference(shape: (Int, Int), accumulate: Bool) {
        let (rows, channels) = shape
        let a = Buffer<Float>.random(rows * channels, seed: 5), xhat = Buffer<Float>.random(rows * channels, seed: 6)
        let m1 = Buffer<Float>.random(channels, seed: 7), m2 = Buffer<Float>.random(channels, seed: 8)
        let gain = Buffer<Float>.random(channels, seed: 9)
        let fast = Buffer<Float>.random(rows * channels, seed: 10), slow = Buffer<Float>.random(rows * channels, seed: 10)
        channelCenteredScale(a.input, mean1: m1.input, xhat: xhat.input, mean2: m2.input, gain: gain.input,
                             into: fast.output, rows: rows, channels: channels, accumulate: accumulate)
        channelCenteredScaleReference(a.input, mean1: m1.input, xhat: xhat.input, mean2: m2.input, gain: gain.input,
                                      into: slow.output, rows: rows, channels: channels, accumulate: accumulate)
        #expect(maxRelativeError(fast.array, slow.array) < 1e-5)
    }

    /// Three terms in one call: the same bits as three calls (accumulating after the first), and the
    /// references' sum; shapes with many row blocks and parallel chunks.
    @Test(arguments: shapes + [(1000, 5), (3001, 17)], [false, true])
    func termsInOneCall(shape: (Int, Int), accumulate: Bool) {
        let (rows, channels) = shape
        let n = rows * channels
        let inputs = (0..<3).map { Buffer<Float>.random(n, seed: 20 + UInt64($0)) }
        let xhats = (0..<3).map { Buffer<Float>.random(n, seed: 30 + UInt64($0)) }
        let vectors = (0..<12).map { Buffer<Float>.random(channels, seed: 40 + UInt64($0)) }
        let (oneCall, threeCalls, reference) = (Buffer<Float>.random(n, seed: 50), Buffer<Float>.random(n, seed: 50),
                                                Buffer<Float>.random(n, seed: 50))
        let terms = (0..<3).map {
            CenteredScaleTerm(inputs[$0].input, mean1: vectors[4 * $0].input, xhat: xhats[$0].input,
                              mean2: vectors[4 * $0 + 1].input, gain: vectors[4 * $0 + 2].input)
        }
        channelCenteredScale(terms, into: oneCall.output, rows: rows, channels: channels, accumulate: accumulate)
        for (t, term) in terms.enumerated() {
            channelCenteredScale(term.a, mean1: term.mean1, xhat: term.xhat, mean2: term.mean2, gain: term.gain,
                                 into: threeCalls.output, rows: rows, channels: channels, accumulate: accumulate || t > 0)
            channelCenteredScaleReference(term.a, mean1: term.mean1, xhat: term.xhat, mean2: term.mean2, gain: term.gain,
                                          into: reference.output, rows: rows, channels: channels,
                                          accumulate: accumulate || t > 0)
        }
        #expect(oneCall.array.map(\.bitPattern) == threeCalls.array.map(\.bitPattern))
        #expect(maxRelativeError(oneCall.array, reference.array) < 1e-5)

        let shifts = (0..<3).map {
            ScaleShiftTerm(inputs[$0].input, scale: $0 == 1 ? nil : vectors[4 * $0 + 3].input,
                           shift: $0 == 2 ? nil : vectors[4 * $0].input)
        }
        let (shiftedOnce, shiftedThrice, shiftedReference) = (Buffer<Float>.random(n, seed: 60),
                                                              Buffer<Float>.random(n, seed: 60), Buffer<Float>.random(n, seed: 60))
        channelScaleShift(shifts, into: shiftedOnce.output, rows: rows, channels: channels, accumulate: accumulate)
        for (t, term) in shifts.enumerated() {
            channelScaleShift(term.x, scale: term.scale, shift: term.shift, into: shiftedThrice.output, rows: rows,
                              channels: channels, accumulate: accumulate || t > 0)
            channelScaleShiftReference(term.x, scale: term.scale, shift: term.shift, into: shiftedReference.output,
                                       rows: rows, channels: channels, accumulate: accumulate || t > 0)
        }
        #expect(shiftedOnce.array.map(\.bitPattern) == shiftedThrice.array.map(\.bitPattern))
        #expect(maxRelativeError(shiftedOnce.array, shiftedReference.array) < 1e-5)

        // With a mask: the bits of keepWherePositive after the unmasked sum.
        let mask = Buffer<Float>.random(n, seed: 61)
        let (shiftedMasked, maskedAfter) = (Buffer<Float>.random(n, seed: 60), Buffer<Float>(count: n))
        channelScaleShift(shifts, into: shiftedMasked.output, rows: rows, channels: channels, accumulate: accumulate,
                          keepingWherePositive: mask.input)
        keepWherePositive(shiftedOnce.input, where: mask.input, into: maskedAfter.output)
        #expect(shiftedMasked.array.map(\.bitPattern) == maskedAfter.array.map(\.bitPattern))
    }

    @Test(arguments: shapes + [(1000, 5)], [false, true])
    func sumsMatchReference(shape: (Int, Int), weighted: Bool) {
        let (rows, channels) = shape
        let a = Buffer<Float>.random(rows * channels, seed: 11), b = Buffer<Float>.random(rows * channels, seed: 12)
        let fast = Buffer<Float>(count: channels, value: .nan), slow = Buffer<Float>(count: channels, value: .nan)
        channelSums(a.input, times: weighted ? b.input : nil, into: fast.output, rows: rows, channels: channels)
        channelSumsReference(a.input, times: weighted ? b.input : nil, into: slow.output, rows: rows, channels: channels)
        #expect(maxRelativeError(fast.array, slow.array) < 1e-4)
    }

    @Test("both sums in one pass: the same bits as two channelSums calls", arguments: shapes + [(1000, 5)])
    func sumsWithProductsMatchSeparateCalls(shape: (Int, Int)) {
        let (rows, channels) = shape
        let a = Buffer<Float>.random(rows * channels, seed: 13), b = Buffer<Float>.random(rows * channels, seed: 14)
        let sums = Buffer<Float>(count: channels, value: .nan), products = Buffer<Float>(count: channels, value: .nan)
        let plain = Buffer<Float>(count: channels, value: .nan), weighted = Buffer<Float>(count: channels, value: .nan)
        channelSums(a.input, andProductsWith: b.input, sums: sums.output, productSums: products.output,
                    rows: rows, channels: channels)
        channelSums(a.input, times: nil, into: plain.output, rows: rows, channels: channels)
        channelSums(a.input, times: b.input, into: weighted.output, rows: rows, channels: channels)
        #expect(sums.array.map(\.bitPattern) == plain.array.map(\.bitPattern))
        #expect(products.array.map(\.bitPattern) == weighted.array.map(\.bitPattern))
        let referenceSums = Buffer<Float>(count: channels, value: .nan), reference = Buffer<Float>(count: channels, value: .nan)
        channelSumsReference(a.input, andProductsWith: b.input, sums: referenceSums.output, productSums: reference.output,
                             rows: rows, channels: channels)
        #expect(maxRelativeError(sums.array, referenceSums.array) < 1e-4)
        #expect(maxRelativeError(products.array, reference.array) < 1e-4)
    }

    @Test("a ReLU mask read on the fly: the same bits as keepWherePositive first",
          arguments: shapes + [(1000, 5), (70, 40), (0, 5)])
    func maskedMatchesMaskingFirst(shape: (Int, Int)) {
        let (rows, channels) = shape
        let count = rows * channels
        let g = Buffer<Float>.random(count, seed: 15), xhat = Buffer<Float>.random(count, seed: 16)
        let mask = Buffer<Float>.random(count, seed: 17)  // about half of it ≤ 0
        let (m1, m2, gain) = (Buffer<Float>.random(channels, seed: 18), Buffer<Float>.random(channels, seed: 19),
                              Buffer<Float>.random(channels, seed: 20))
        let masked = Buffer<Float>(count: count, value: .nan)
        keepWherePositive(g.input, where: mask.input, into: masked.output)

        let (sums, products) = (Buffer<Float>(count: channels, value: .nan), Buffer<Float>(count: channels, value: .nan))
        let (fusedSums, fusedProducts) = (Buffer<Float>(count: channels, value: .nan), Buffer<Float>(count: channels, value: .nan))
        channelSums(masked.input, andProductsWith: xhat.input, sums: sums.output, productSums: products.output,
                    rows: rows, channels: channels)
        channelSums(g.input, andProductsWith: xhat.input, sums: fusedSums.output, productSums: fusedProducts.output,
                    rows: rows, channels: channels, keepingWherePositive: mask.input)
        #expect(fusedSums.array.map(\.bitPattern) == sums.array.map(\.bitPattern))
        #expect(fusedProducts.array.map(\.bitPattern) == products.array.map(\.bitPattern))

        let (out, fused) = (Buffer<Float>(count: count, value: .nan), Buffer<Float>(count: count, value: .nan))
        channelCenteredScale(masked.input, mean1: m1.input, xhat: xhat.input, mean2: m2.input, gain: gain.input,
                             into: out.output, rows: rows, channels: channels)
        channelCenteredScale([CenteredScaleTerm(g.input, mean1: m1.input, xhat: xhat.input, mean2: m2.input,
                                                gain: gain.input, keepingWherePositive: mask.input)],
                             into: fused.output, rows: rows, channels: channels)
        #expect(fused.array.map(\.bitPattern) == out.array.map(\.bitPattern))
    }
}
