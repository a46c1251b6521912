// Softmax / log-softmax over rows: against the references, rows sum to 1, stability for huge logits.

import Foundation
import Kernels
import Testing

@Suite struct SoftmaxTests {
    static let shapes = [(1, 1), (1, 7), (3, 13), (5, 33), (2, 65), (65, 5), (4, 8), (3, 1000), (0, 4)]

    @Test(arguments: shapes)
    func matchesReference(shape: (Int, Int)) {
        let (rows, cols) = shape
        let x = Buffer<Float>.random(rows * cols, seed: 101, in: -20...20)
        let fast = Buffer<Float>(count: x.count, value: .nan)
        let reference = Buffer<Float>(count: x.count, value: .nan)
        softmaxRows(x.input, into: fast.output, rows: rows, cols: cols)
        softmaxRowsReference(x.input, into: reference.output, rows: rows, cols: cols)
        #expect(maxRelativeError(fast.array, reference.array) < 1e-5)
        logSoftmaxRows(x.input, into: fast.output, rows: rows, cols: cols)
        logSoftmaxRowsReference(x.input, into: reference.output, rows: rows, cols: cols)
        #expect(maxRelativeError(fast.array, reference.array) < 1e-5)
    }

    @Test(arguments: shapes)
    func rowsSumToOneAndLogSoftmaxAgrees(shape: (Int, Int)) {
        let (rows, cols) = shape
        let x = Buffer<Float>.random(rows * cols, seed: 102, in: -20...20)
        let p = Buffer<Float>(count: x.count)
        let logP = Buffer<Float>(count: x.count)
        softmaxRows(x.input, into: p.output, rows: rows, cols: cols)
        logSoftmaxRows(x.input, into: logP.output, rows: rows, cols: cols)
        for r in 0..<rows {
            let row = p.array[r * cols..<(r + 1) * cols]
            #expect(abs(row.reduce(0.0) { $0 + Double($1) } - 1) < 1e-5)
            #expect(row.allSatisfy { $0 >= 0 && $0 <= 1 })
        }
        #expect((0..<x.count).allSatisfy { abs(Foundation.exp(logP[$0]) - p[$0]) < 1e-6 })
    }

    @Test func stableForHugeLogits() {
        let x = Buffer<Float>([1e4, 1e4 - 1, -1e4, 1e4, 1e4, 1e4])  // two rows of 3
        let p = Buffer<Float>(count: 6)
        let logP = Buffer<Float>(count: 6)
        softmaxRows(x.input, into: p.output, rows: 2, cols: 3)
        logSoftmaxRows(x.input, into: logP.output, rows: 2, cols: 3)
        let e = Foundation.exp(-1.0)
        let expected = [1 / (1 + e), e / (1 + e), 0, 1.0 / 3, 1.0 / 3, 1.0 / 3]
        #expect((0..<6).allSatisfy { abs(Double(p[$0]) - expected[$0]) < 1e-6 })
        #expect(logP.array.allSatisfy { $0.isFinite })
        #expect(abs(Double(logP[0]) + Foundation.log(1 + e)) < 1e-5)
        #expect(logP[2] < -19_000)
    }

    @Test func constantRowIsUniform() {
        let x = Buffer<Float>([Float](repeating: 3, count: 9))
        let p = Buffer<Float>(count: 9)
        softmaxRows(x.input, into: p.output, rows: 1, cols: 9)
        #expect(p.array.allSatisfy { abs($0 - 1.0 / 9) < 1e-7 })
    }
}
