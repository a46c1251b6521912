// The Gram matrix of a first layer's centred patches (PatchBatchNorm.swift), Σ over thousands of
// rows of K×K products with K = 9 or 27: tiled in registers so it costs a fraction of the layer's GEMM.

/// gram[i, j] = Σᵣ p[r, i]·p[r, j] for i, j < K, p = patches [rows × (K+1)]: blocks of 256 rows
/// summed in Float SIMD lanes (Gram row i against the whole patch row), the blocks added in Double,
/// in order. One thread: a first layer's Gram matrix is a few hundred thousand flops.
func patchGram(_ p: UnsafePointer<Float>, rows: Int, width: Int, into gram: UnsafeMutablePointer<Float>) {
    let stride = width + 1
    let vectors = (stride + 7) / 8  // SIMD8 lanes covering a patch row
    var totals = [Double](repeating: 0, count: width * width)
    // Rows read in place: the loads below read `vectors`·8 floats from each row, past its end (into
    // the next rows, unused); the rows whose reads would pass the buffer's end are copied first.
    let inPlaceEnd = max(0, rows - ceilDiv(vectors * 8, stride) + 1)
    withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: width * vectors + vectors) { buffer in
        let (sums, padded) = (buffer.baseAddress!, buffer.baseAddress! + width * vectors)
        let copy = UnsafeMutableRawPointer(padded).assumingMemoryBound(to: Float.self)
        copy.initialize(repeating: 0, count: vectors * 8)
        for blockStart in Swift.stride(from: 0, to: rows, by: 256) {
            let block = blockStart ..< min(rows, blockStart + 256)
            for i in 0..<(width * vectors) { sums[i] = .zero }
            let inPlace = block.lowerBound ..< max(block.lowerBound, min(block.upperBound, inPlaceEnd))
            var first = 0
            if vectors == 2 {
                while first < width {  // 4 Gram rows × 16 lanes in 8 registers
                    gramRows16(p, rows: inPlace, stride: stride, first: first, count: min(4, width - first), into: sums)
                    first += 4
                }
                first = width
            }
            for r in inPlace { gramRow(p + r * stride, from: first, width: width, vectors: vectors, into: sums) }
            for r in inPlace.upperBound ..< block.upperBound {
                copy.update(from: p + r * stride, count: stride)
                gramRow(UnsafePointer(copy), from: 0, width: width, vectors: vectors, into: sums)
            }
            for i in 0..<width {
                let lanes = UnsafeRawPointer(sums + i * vectors).assumingMemoryBound(to: Float.self)
                for j in 0..<width { totals[i * width + j] += Double(lanes[j]) }
            }
        }
    }
    for i in 0..<(width * width) { gram[i] = Float(totals[i]) }
}

/// sums[i] += row[i]·row[0 ..< 8·vectors] for Gram rows i ≥ first.
@inline(__always)
private func gramRow(_ row: UnsafePointer<Float>, from first: Int, width: Int, vectors: Int,
                     into sums: UnsafeMutablePointer<SIMD8<Float>>) {
    for i in first..<width {
        let s = SIMD8<Float>(repeating: row[i])
        for q in 0..<vectors { sums[i * vectors + q] = sums[i * vectors + q].plusProduct(s, load8(row + 8 * q)) }
    }
}

/// Gram rows first ..< first + count (count ≤ 4) over patch rows `rows` of at most 16 floats, in 8
/// registers: sums[i] += Σᵣ p[r, i]·p[r, 0 ..< 16].
@inline(__always)
private func gramRows16(_ p: UnsafePointer<Float>, rows: Range<Int>, stride: Int, first: Int, count: Int,
                        into sums: UnsafeMutablePointer<SIMD8<Float>>) {
    let i = (first, min(first + 1, first + count - 1), min(first + 2, first + count - 1), min(first + 3, first + count - 1))
    var (a0, a1, b0, b1) = (sums[2 * i.0], sums[2 * i.0 + 1], sums[2 * i.1], sums[2 * i.1 + 1])
    var (c0, c1, d0, d1) = (sums[2 * i.2], sums[2 * i.2 + 1], sums[2 * i.3], sums[2 * i.3 + 1])
    for r in rows {
        let row = p + r * stride
        let (v0, v1) = (load8(row), load8(row + 8))
        var s = SIMD8<Float>(repeating: row[i.0])
        a0 = a0.plusProduct(s, v0); a1 = a1.plusProduct(s, v1)
        s = SIMD8<Float>(repeating: row[i.1])
        b0 = b0.plusProduct(s, v0); b1 = b1.plusProduct(s, v1)
        s = SIMD8<Float>(repeating: row[i.2])
        c0 = c0.plusProduct(s, v0); c1 = c1.plusProduct(s, v1)
        s = SIMD8<Float>(repeating: row[i.3])
        d0 = d0.plusProduct(s, v0); d1 = d1.plusProduct(s, v1)
    }
    // With count < 4 the repeated last row computed the same sums again: store it once (last).
    (sums[2 * i.3], sums[2 * i.3 + 1]) = (d0, d1)
    (sums[2 * i.2], sums[2 * i.2 + 1]) = (c0, c1)
    (sums[2 * i.1], sums[2 * i.1 + 1]) = (b0, b1)
    (sums[2 * i.0], sums[2 * i.0 + 1]) = (a0, a1)
}

/// `patchMoments` in plain loops, in Double: the specification of the kernel.
public func patchMomentsReference(_ x: UnsafeBufferPointer<Float>, geometry g: ConvGeometry,
                                  patches: UnsafeMutableBufferPointer<Float>, gram: UnsafeMutableBufferPointer<Float>) {
    let (rows, width) = (g.columnRows, g.columnWidth)
    var columns = [Float](repeating: 0, count: rows * width)
    columns.withUnsafeMutableBufferPointer { im2colReference(x, into: $0, geometry: g) }
    let mean = (0..<width).map { k in (0..<rows).reduce(0.0) { $0 + Double(columns[$1 * width + k]) } / Double(rows) }
    for r in 0..<rows {
        for k in 0..<width { patches[r * (width + 1) + k] = Float(Double(columns[r * width + k]) - mean[k]) }
        patches[r * (width + 1) + width] = 1
    }
    for i in 0..<width {
        for j in 0..<width {
            gram[i * width + j] = Float((0..<rows).reduce(0.0) {
                $0 + (Double(columns[$1 * width + i]) - mean[i]) * (Double(columns[$1 * width + j]) - mean[j])
            })
        }
    }
}
