// Softmax cross-entropy: against the reference, against log-softmax, with a mask, and for huge logits.

import Foundation
import Kernels
import Testing

@Suite struct CrossEntropyTests {
    static func labels(_ rows: Int, cols: Int, seed: UInt64) -> Buffer<Int32> {
        var generator = SeededGenerator(seed: seed)
        return Buffer((0..<rows).map { _ in Int32.random(in: 0..<Int32(cols), using: &generator) })
    }

    @Test(arguments: [(1, 1), (1, 7), (13, 5), (33, 20), (65, 9), (5, 64), (0, 3)], [false, true])
    func matchesReferenceAndLogSoftmax(shape: (Int, Int), masked: Bool) {
        let (rows, cols) = shape
        let logits = Buffer<Float>.random(rows * cols, seed: 111, in: -10...10)
        let label = Self.labels(rows, cols: cols, seed: 112)
        let mask = Buffer<Float>((0..<rows).map { Float($0 % 3) / 2 })  // 0, 0.5, 1, ...
        let fast = Buffer<Float>(count: rows, value: .nan)
        let reference = Buffer<Float>(count: rows, value: .nan)
        softmaxCrossEntropy(logits.input, labels: label.input, mask: masked ? mask.input : nil, into: fast.output, rows: rows, cols: cols)
        softmaxCrossEntropyReference(logits.input, labels: label.input, mask: masked ? mask.input : nil,
                                     into: reference.output, rows: rows, cols: cols)
        #expect(maxRelativeError(fast.array, reference.array) < 1e-5)
        let logP = Buffer<Float>(count: logits.count)
        logSoftmaxRows(logits.input, into: logP.output, rows: rows, cols: cols)
        for r in 0..<rows {
            let expected = -(masked ? mask[r] : 1) * logP[r * cols + Int(label[r])]
            #expect(abs(fast[r] - expected) <= 1e-5 * max(1, abs(expected)))
        }
    }

    @Test func maskedRowsGiveZeroEvenForHugeLogits() {
        let logits = Buffer<Float>([1e4, -1e4, 0, -1e4, 1e4, 0])  // two rows of 3
        let label = Buffer<Int32>([1, 1])
        let mask = Buffer<Float>([1, 0])
        let losses = Buffer<Float>(count: 2)
        softmaxCrossEntropy(logits.input, labels: label.input, mask: mask.input, into: losses.output, rows: 2, cols: 3)
        #expect(losses.array == [2e4, 0])
    }

    @Test func uniformLogitsGiveLogOfClassCount() {
        let logits = Buffer<Float>([Float](repeating: 0.5, count: 10))
        let losses = Buffer<Float>(count: 2)
        let label = Buffer<Int32>([0, 4])
        softmaxCrossEntropy(logits.input, labels: label.input, mask: nil, into: losses.output, rows: 2, cols: 5)
        #expect(losses.array.allSatisfy { abs($0 - Float(Foundation.log(5.0))) < 1e-6 })
    }
}
