// `columnSums` keeps a block's channel sums in registers; it must give the bits of the loop it
// replaced, which adds each row into a sum held in memory, in row order.

import Testing
@testable import Kernels

struct ColumnSumsTests {
    /// Row by row into memory: sums[c] = (((0 + term(r₀, c)) + term(r₁, c)) + …).
    private func memoryLoop(_ rows: Range<Int>, _ channels: Int, _ term: (Float, Int, Int) -> Float) -> [Float] {
        var sums = [Float](repeating: 0, count: channels)
        for r in rows {
            for c in 0..<channels { sums[c] = term(sums[c], r * channels + c, c) }
        }
        return sums
    }

    @Test(arguments: [1, 7, 8, 13, 32, 33, 64, 65, 100])
    func sameBitsAsAddingRowsIntoMemory(channels: Int) {
        let rowCount = 70
        let x = Buffer<Float>.random(rowCount * channels, seed: 3, in: -3...3)
        let b = Buffer<Float>.random(rowCount * channels, seed: 4)
        let center = Buffer<Float>.random(channels, seed: 5)
        let (px, pb, pc) = (x.input.baseAddress!, b.input.baseAddress!, center.input.baseAddress!)
        for rows in [0..<rowCount, 5..<64, 69..<70] {
            let sums = Buffer<Float>(count: channels, value: .nan)
            columnSums(PlainColumnTerm(x: px), rows: rows, channels: channels, into: sums.output.baseAddress!)
            #expect(sums.array.map(\.bitPattern) == memoryLoop(rows, channels) { sum, i, _ in sum + px[i] }.map(\.bitPattern))

            columnSums(SquaredDeviationColumnTerm(x: px, center: pc), rows: rows, channels: channels,
                       into: sums.output.baseAddress!)
            let squares = memoryLoop(rows, channels) { sum, i, c in
                let d = px[i] - pc[c]
                return sum.plusProduct(d, d)
            }
            #expect(sums.array.map(\.bitPattern) == squares.map(\.bitPattern))

            columnSums(ProductColumnTerm(a: px, b: pb), rows: rows, channels: channels, into: sums.output.baseAddress!)
            #expect(sums.array.map(\.bitPattern) == memoryLoop(rows, channels) { sum, i, _ in sum + px[i] * pb[i] }.map(\.bitPattern))
        }
    }
}
