// The three products of a convolution layer, by im2col/col2im and `matmul`, each a sum of terms t
// (a tangent has two: conv(dx, W) + conv(x, dW)):
//
//     forward           y  (+)= Σₜ im2col(xₜ) · Wₜ         y [b·ho·wo, cout]
//     input gradient    x̄  (+)= Σₜ col2im(ȳₜ · Wₜᵀ)        x̄ [b, H, W, cin]   (transposed convolution)
//     weight gradient   W̄  (+)= Σₜ im2col(xₜ)ᵀ · ȳₜ        W̄ [kh·kw·cin, cout]
//
// A batch's column matrix is several times larger than its images (2.25× for a 3×3 stride-2
// convolution, 9× at stride 1); made whole, it is written to memory and read back. Here the images
// are cut into groups whose column matrix fits `convolutionColumnBudget` floats, and each group's
// columns are made, used and dropped while they are still in cache. Groups run in parallel, each
// GEMM on one thread; the weight gradient adds its per-slot partial sums in a fixed order. Groups
// and slots depend on the shapes alone, so results do not depend on the thread count.

/// Floats in one group's column matrix: 1 MiB, within a core's L2 together with the GEMM's panels.
let convolutionColumnBudget = 1 << 18

/// At most this many partial weight gradients (kh·kw·cin·cout floats each) are summed separately.
let maxWeightGradientSlots = 16

/// x [b, H, W, cin] and weights [kh, kw, cin, cout] (HWIO, a [kh·kw·cin, cout] matrix) →
/// y [b, ho, wo, cout] (+)= Σₜ im2col(xₜ)·Wₜ. `convolutionReference` is the spec of one term.
public func convolution(
    _ terms: [(input: UnsafeBufferPointer<Float>, weights: UnsafeBufferPointer<Float>)],
    into y: UnsafeMutableBufferPointer<Float>, geometry: ConvGeometry, outputChannels: Int, accumulate: Bool = false
) {
    convolution(terms, into: y, geometry: geometry, outputChannels: outputChannels, accumulate: accumulate,
                columnBudget: convolutionColumnBudget)
}

/// One-term `convolution`.
public func convolution(
    _ x: UnsafeBufferPointer<Float>, weights: UnsafeBufferPointer<Float>, into y: UnsafeMutableBufferPointer<Float>,
    geometry: ConvGeometry, outputChannels: Int, accumulate: Bool = false
) {
    convolution([(x, weights)], into: y, geometry: geometry, outputChannels: outputChannels, accumulate: accumulate)
}

/// The transposed convolution (the adjoint of `convolution` in x): given ȳ [b, ho, wo, cout] and
/// weights [kh, kw, cin, cout] of a convolution with this geometry, x̄ [b, H, W, cin] (+)= Σₜ col2im(ȳₜ·Wₜᵀ).
/// E.g. PyTorch ConvTranspose(k4, s2, p1) 2→4 is the geometry of a convolution 4→2 with k4, s2,
/// padding 1. `transposedConvolutionReference` is the spec of one term.
public func transposedConvolution(
    _ terms: [(outputGradient: UnsafeBufferPointer<Float>, weights: UnsafeBufferPointer<Float>)],
    into x: UnsafeMutableBufferPointer<Float>, geometry: ConvGeometry, outputChannels: Int, accumulate: Bool = false
) {
    transposedConvolution(terms, into: x, geometry: geometry, outputChannels: outputChannels, accumulate: accumulate,
                          columnBudget: convolutionColumnBudget)
}

/// One-term `transposedConvolution`.
public func transposedConvolution(
    _ y: UnsafeBufferPointer<Float>, weights: UnsafeBufferPointer<Float>, into x: UnsafeMutableBufferPointer<Float>,
    geometry: ConvGeometry, outputChannels: Int, accumulate: Bool = false
) {
    transposedConvolution([(y, weights)], into: x, geometry: geometry, outputChannels: outputChannels,
                          accumulate: accumulate)
}

/// The weight gradient of `convolution` (its adjoint in W): W̄ [kh, kw, cin, cout] (+)= Σₜ im2col(xₜ)ᵀ·ȳₜ,
/// with xₜ [b, H, W, cin] and ȳₜ [b, ho, wo, cout]. `convolutionWeightGradientReference` is the spec of one term.
public func convolutionWeightGradient(
    _ terms: [(input: UnsafeBufferPointer<Float>, outputGradient: UnsafeBufferPointer<Float>)],
    into w: UnsafeMutableBufferPointer<Float>, geometry: ConvGeometry, outputChannels: Int, accumulate: Bool = false
) {
    convolutionWeightGradient(terms, into: w, geometry: geometry, outputChannels: outputChannels,
                              accumulate: accumulate, columnBudget: convolutionColumnBudget)
}

// MARK: - Implementations (tests pass small column budgets to get many groups)

func convolution(
    _ terms: [(input: UnsafeBufferPointer<Float>, weights: UnsafeBufferPointer<Float>)],
    into y: UnsafeMutableBufferPointer<Float>, geometry g: ConvGeometry, outputChannels: Int, accumulate: Bool,
    columnBudget: Int, byRegion: Bool? = nil, interiorInPlace: Bool = true
) {
    for t in terms {
        checkConvSizes("convolution", g, inputCount: t.input.count, outputCount: y.count, weightsCount: t.weights.count,
                       outputChannels: outputChannels)
    }
    guard y.count > 0 else { return }
    guard !terms.isEmpty else {
        if !accumulate { y.baseAddress!.update(repeating: 0, count: y.count) }
        return
    }
    let groups = ImageGroups(g, budget: columnBudget)
    if g.usesRegions(byRegion, images: groups.size, outputChannels: outputChannels) {
        convolutionByRegion(terms, into: y, geometry: g, outputChannels: outputChannels, accumulate: accumulate,
                            groups: ImageGroups(g, budget: columnBudget, imageColumns: g.largestRegionColumns),
                            interiorInPlace: interiorInPlace)
        return
    }
    let scratch = Scratch()
    defer { scratch.release() }
    let weights = groups.packedWeights(terms.map(\.weights), n: outputChannels, k: g.columnWidth, transposed: false,
                                       scratch: scratch)
    nonisolated(unsafe) let (shared, output) = (terms, y)
    groups.forEachGroupInParallel { group, buffer in
        let columns = group.columns(in: buffer)
        let rows = group.geometry.columnRows
        let outputs = slice(output, group.outputs, width: outputChannels)
        for (index, term) in shared.enumerated() {
            im2col(slice(term.input, group.images, width: g.imageInputCount), into: columns, geometry: group.geometry)
            matmul(UnsafeBufferPointer(columns), weights[index], into: outputs, m: rows,
                   accumulate: accumulate || index > 0)
        }
    }
}

func transposedConvolution(
    _ terms: [(outputGradient: UnsafeBufferPointer<Float>, weights: UnsafeBufferPointer<Float>)],
    into x: UnsafeMutableBufferPointer<Float>, geometry g: ConvGeometry, outputChannels: Int, accumulate: Bool,
    columnBudget: Int, byRegion: Bool? = nil
) {
    for t in terms {
        checkConvSizes("transposedConvolution", g, inputCount: x.count, outputCount: t.outputGradient.count,
                       weightsCount: t.weights.count, outputChannels: outputChannels)
    }
    guard x.count > 0 else { return }
    guard !terms.isEmpty, g.columnRows > 0 else {
        if !accumulate { x.baseAddress!.update(repeating: 0, count: x.count) }
        return
    }
    let groups = ImageGroups(g, budget: columnBudget)
    if g.usesRegions(byRegion, images: groups.size, outputChannels: outputChannels) {
        transposedConvolutionByRegion(terms, into: x, geometry: g, outputChannels: outputChannels,
                                      accumulate: accumulate,
                                      groups: ImageGroups(g, budget: columnBudget, imageColumns: g.allRegionColumns))
        return
    }
    let scratch = Scratch()
    defer { scratch.release() }
    let weights = groups.packedWeights(terms.map(\.weights), n: g.columnWidth, k: outputChannels, transposed: true,
                                       scratch: scratch)
    nonisolated(unsafe) let (shared, input) = (terms, x)
    groups.forEachGroupInParallel { group, buffer in
        let columns = group.columns(in: buffer)
        let rows = group.geometry.columnRows
        for (index, term) in shared.enumerated() {
            matmul(slice(term.outputGradient, group.outputs, width: outputChannels), weights[index], into: columns,
                   m: rows, accumulate: index > 0)
        }
        col2im(UnsafeBufferPointer(columns), into: slice(input, group.images, width: g.imageInputCount),
               geometry: group.geometry, accumulate: accumulate)
    }
}

func convolutionWeightGradient(
    _ terms: [(input: UnsafeBufferPointer<Float>, outputGradient: UnsafeBufferPointer<Float>)],
    into w: UnsafeMutableBufferPointer<Float>, geometry g: ConvGeometry, outputChannels: Int, accumulate: Bool,
    columnBudget: Int, byRegion: Bool? = nil
) {
    for t in terms {
        checkConvSizes("convolutionWeightGradient", g, inputCount: t.input.count, outputCount: t.outputGradient.count,
                       weightsCount: w.count, outputChannels: outputChannels)
    }
    guard w.count > 0 else { return }
    let whole = ImageGroups(g, budget: columnBudget)
    guard !terms.isEmpty, whole.count > 0 else {
        if !accumulate { w.baseAddress!.update(repeating: 0, count: w.count) }
        return
    }
    let regional = g.usesRegions(byRegion, images: whole.size, outputChannels: outputChannels)
    let groups = regional ? ImageGroups(g, budget: columnBudget, imageColumns: g.largestRegionColumns) : whole
    // Slot s sums groups s, s + slots, … in order into its own buffer (slot 0 into W̄ itself).
    let slots = min(groups.count, maxWeightGradientSlots)
    let scratch = Scratch()
    defer { scratch.release() }
    let partials = scratch.floats((slots - 1) * w.count)
    nonisolated(unsafe) let (shared, target, spare) = (terms, w, partials)
    let size = w.count
    parallelFor(slots) { slot in
        let sum = slot == 0 ? target : UnsafeMutableBufferPointer(rebasing: spare[(slot - 1) * size ..< slot * size])
        if regional {
            weightGradientByRegion(shared.map { ($0.input.baseAddress!, $0.outputGradient.baseAddress!) },
                                   groups: groups, slot: slot, slots: slots, outputChannels: outputChannels,
                                   into: sum.baseAddress!, accumulate: slot == 0 && accumulate)
            return
        }
        let room = Scratch()  // this slot's thread's own scratch
        defer { room.release() }
        let buffer = room.floats(groups.columnCapacity)
        var first = true
        for index in stride(from: slot, to: groups.count, by: slots) {
            let group = groups[index]
            let columns = group.columns(in: buffer)
            for term in shared {
                im2col(slice(term.input, group.images, width: g.imageInputCount), into: columns, geometry: group.geometry)
                matmul(UnsafeBufferPointer(columns), slice(term.outputGradient, group.outputs, width: outputChannels),
                       into: sum, m: g.columnWidth, n: outputChannels, k: group.geometry.columnRows, transposeA: true,
                       accumulate: first ? (slot == 0 && accumulate) : true)
                first = false
            }
        }
    }
    for slot in 1..<slots {
        addFloats(from: partials.baseAddress! + (slot - 1) * w.count, to: w.baseAddress!, count: w.count)
    }
}

// MARK: - Image groups

/// A batch cut into groups of `size` consecutive images (the last may be smaller), `size` chosen so
/// that a group's column matrix fits the budget: `imageColumns` floats per image, by default an
/// image's whole column matrix (region by region, its largest region's).
struct ImageGroups {
    struct Group {
        /// The group's images, as indices into the batch.
        let images: Range<Int>
        /// The group's output rows (output positions), as indices into the batch's.
        let outputs: Range<Int>
        /// The layer's geometry for these images only.
        let geometry: ConvGeometry

        /// The first columnRows·columnWidth floats of a buffer of `columnCapacity`.
        func columns(in buffer: UnsafeMutableBufferPointer<Float>) -> UnsafeMutableBufferPointer<Float> {
            UnsafeMutableBufferPointer(rebasing: buffer[0 ..< geometry.columnRows * geometry.columnWidth])
        }
    }

    let geometry: ConvGeometry
    let imageColumns: Int
    let size: Int
    let count: Int

    init(_ g: ConvGeometry, budget: Int, imageColumns: Int? = nil) {
        geometry = g
        self.imageColumns = imageColumns ?? g.outputHeight * g.outputWidth * g.columnWidth
        size = max(1, min(g.batch, budget / max(1, self.imageColumns)))
        count = g.batch == 0 ? 0 : ceilDiv(g.batch, size)
    }

    /// Floats of the largest group's column matrix.
    var columnCapacity: Int { size * imageColumns }

    subscript(index: Int) -> Group {
        let images = index * size ..< min(geometry.batch, (index + 1) * size)
        let positions = geometry.outputHeight * geometry.outputWidth
        let g = geometry
        let part = ConvGeometry(batch: images.count, inputHeight: g.inputHeight, inputWidth: g.inputWidth,
                                inputChannels: g.inputChannels, kernelHeight: g.kernelHeight, kernelWidth: g.kernelWidth,
                                stride: g.strideHeight,
                                padding: .explicit(top: g.padTop, bottom: g.padBottom, left: g.padLeft, right: g.padRight))
        return Group(images: images, outputs: images.lowerBound * positions ..< images.upperBound * positions,
                     geometry: part)
    }

    /// Each term's weights as op(B) of the groups' products: packed once for all groups (`PackedB`),
    /// or left unpacked when there is only one group (its product packs them once anyway).
    func packedWeights(_ weights: [UnsafeBufferPointer<Float>], n: Int, k: Int, transposed: Bool,
                       scratch: Scratch) -> [PackedB] {
        weights.map { w in
            count > 1 ? PackedB(w, n: n, k: k, transposed: transposed, into: scratch.floats(PackedB.floats(n: n, k: k)))
                      : PackedB.unpacked(w, n: n, k: k, transposed: transposed)
        }
    }

    /// Runs `body` once per group, groups in parallel, each with its own buffer of `columnCapacity` floats.
    func forEachGroupInParallel(_ body: @Sendable (Group, UnsafeMutableBufferPointer<Float>) -> Void) {
        parallelFor(count) { index in
            let scratch = Scratch()
            defer { scratch.release() }
            body(self[index], scratch.floats(columnCapacity))
        }
    }
}

extension ConvGeometry {
    /// Floats of one input image, H·W·cin.
    var imageInputCount: Int { inputHeight * inputWidth * inputChannels }
}

/// Elements [range.lowerBound·width, range.upperBound·width) of a buffer.
@inline(__always)
private func slice(_ buffer: UnsafeBufferPointer<Float>, _ range: Range<Int>, width: Int) -> UnsafeBufferPointer<Float> {
    UnsafeBufferPointer(rebasing: buffer[range.lowerBound * width ..< range.upperBound * width])
}

@inline(__always)
private func slice(_ buffer: UnsafeMutableBufferPointer<Float>, _ range: Range<Int>, width: Int)
    -> UnsafeMutableBufferPointer<Float>
{
    UnsafeMutableBufferPointer(rebasing: buffer[range.lowerBound * width ..< range.upperBound * width])
}
