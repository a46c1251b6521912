// The three products of Convolution.swift computed region by region (ConvRegions.swift), so that
// no product multiplies a padding zero. Per image group and region r (rows: the group's images × the
// region's positions; Wᵣ: the rows of W for the region's taps):
//
//     forward           yᵣ  (+)= Σₜ im2colᵣ(xₜ) · Wₜᵣ          scattered to y's rows of the region
//                                                            (an interior region read in place where it can
//                                                            be: ConvolutionInterior.swift)
//     input gradient    x̄   (+)= col2im over all r of Σₜ ȳₜᵣ · Wₜᵣᵀ   (RegionCol2Im.swift: each input written once)
//     weight gradient   W̄ᵣ  +=  Σₜ im2colᵣ(xₜ)ᵀ · ȳₜᵣ         into W̄'s rows of the region
//
// The sums are those of the whole products without their zero terms, grouped by region (so the
// results agree with them to rounding). Groups, slots and regions depend on the shapes alone, so
// results do not depend on the thread count.

/// Whether a layer is computed region by region: when at least this share of its products multiply
/// padding zeros (W2's layer 2, 9 % padded, gained 1–2 % of W2 when split; layers 3–4 are 31 %), …
let minPaddedShareForRegions = 0.05
/// … its windows hold at least this many inputs (a shallow layer-1 product gets slower when cut), …
let minColumnWidthForRegions = 64
/// … and a group has at least this many output rows per region on average (each call gathers and
/// packs every region's weights, which only pays off over enough rows; W2's layer 3 has 49 per
/// region in a 28-image group, and splitting it gained 2–3 % of W2-FO).
let minRowsPerRegion = 16

extension ConvGeometry {
    /// Whether `convolution` and its gradients split this layer into regions (see the constants above).
    func splitsByRegion(images: Int) -> Bool {
        let count = regions.count
        return count > 1 && columnWidth >= minColumnWidthForRegions
            && images * outputHeight * outputWidth >= minRowsPerRegion * count
            && paddedProductShare >= minPaddedShareForRegions
    }

    /// `forced` (tests) or `splitsByRegion`; never for empty inputs or outputs.
    func usesRegions(_ forced: Bool?, images: Int, outputChannels: Int) -> Bool {
        guard inputCount > 0, outputChannels > 0 else { return false }
        return forced ?? splitsByRegion(images: images)
    }
}

/// Each term's weights cut to each region (Wₜᵣ, [width, cout]) as op(B) of the region products:
/// Wₜᵣ for the forward, Wₜᵣᵀ for the input gradient. Packed once when several groups share them.
struct RegionWeights {
    let regions: [ConvRegion]
    private let packed: [[PackedB]]

    /// `pack`: pack every region's weights; `alsoPacking`: regions packed in any case.
    init(_ weights: [UnsafeBufferPointer<Float>], geometry g: ConvGeometry, outputChannels: Int, transposed: Bool,
         pack: Bool, alsoPacking: (ConvRegion) -> Bool = { _ in false }, scratch: Scratch) {
        let regions = g.regions
        self.regions = regions
        packed = weights.map { w in
            regions.map { region in
                let width = region.columnWidth(channels: g.inputChannels)
                let (n, k) = transposed ? (width, outputChannels) : (outputChannels, width)
                let source: UnsafeBufferPointer<Float>
                if let rows = region.contiguousWeightRows(kernelWidth: g.kernelWidth, channels: g.inputChannels) {
                    source = UnsafeBufferPointer(rebasing: w[rows.lowerBound * outputChannels ..< rows.upperBound * outputChannels])
                } else {
                    let rows = scratch.floats(width * outputChannels)
                    gatherRegionWeights(w.baseAddress!, region, of: g, outputChannels: outputChannels, into: rows.baseAddress!)
                    source = UnsafeBufferPointer(rows)
                }
                guard pack || alsoPacking(region) else { return PackedB.unpacked(source, n: n, k: k, transposed: transposed) }
                return PackedB(source, n: n, k: k, transposed: transposed, into: scratch.floats(PackedB.floats(n: n, k: k)))
            }
        }
    }

    subscript(term: Int, region: Int) -> PackedB { packed[term][region] }
}

func convolutionByRegion(
    _ terms: [(input: UnsafeBufferPointer<Float>, weights: UnsafeBufferPointer<Float>)],
    into y: UnsafeMutableBufferPointer<Float>, geometry g: ConvGeometry, outputChannels cout: Int, accumulate: Bool,
    groups: ImageGroups, interiorInPlace: Bool
) {
    let scratch = Scratch()
    defer { scratch.release() }
    let inPlace = { (region: ConvRegion) in interiorInPlace && g.readsInPlace(region, outputChannels: cout) }
    let weights = RegionWeights(terms.map(\.weights), geometry: g, outputChannels: cout, transposed: false,
                                pack: groups.count > 1, alsoPacking: inPlace, scratch: scratch)
    let readInPlace = weights.regions.map(inPlace)
    nonisolated(unsafe) let (inputs, output) = (terms.map { $0.input.baseAddress! }, y.baseAddress!)
    groups.forEachGroupInParallel { group, columns in
        let room = Scratch()
        defer { room.release() }
        let local = group.geometry
        let compact = room.floats(local.columnRows * cout)
        for (r, region) in weights.regions.enumerated() {
            if readInPlace[r] {
                for (t, input) in inputs.enumerated() {
                    convolveInteriorInPlace(input + group.images.lowerBound * g.imageInputCount, weights: weights[t, r],
                                            region: region, geometry: local, outputChannels: cout,
                                            into: output + group.outputs.lowerBound * cout, accumulate: accumulate || t > 0)
                }
                continue
            }
            let rows = local.batch * region.positions
            let width = region.columnWidth(channels: g.inputChannels)
            for (t, input) in inputs.enumerated() {
                im2col(input + group.images.lowerBound * g.imageInputCount, into: columns.baseAddress!, geometry: local,
                       region: region)
                matmul(UnsafeBufferPointer(rebasing: columns[0 ..< rows * width]), weights[t, r],
                       into: UnsafeMutableBufferPointer(rebasing: compact[0 ..< rows * cout]), m: rows, accumulate: t > 0)
            }
            scatterRegionRows(region, of: local, width: cout, from: compact.baseAddress!,
                              into: output + group.outputs.lowerBound * cout, accumulate: accumulate)
        }
    }
}

func transposedConvolutionByRegion(
    _ terms: [(outputGradient: UnsafeBufferPointer<Float>, weights: UnsafeBufferPointer<Float>)],
    into x: UnsafeMutableBufferPointer<Float>, geometry g: ConvGeometry, outputChannels cout: Int, accumulate: Bool,
    groups: ImageGroups
) {
    let scratch = Scratch()
    defer { scratch.release() }
    let weights = RegionWeights(terms.map(\.weights), geometry: g, outputChannels: cout, transposed: true,
                                pack: groups.count > 1, scratch: scratch)
    nonisolated(unsafe) let (gradients, input) = (terms.map { $0.outputGradient.baseAddress! }, x.baseAddress!)
    groups.forEachGroupInParallel { group, columns in
        let room = Scratch()
        defer { room.release() }
        let local = group.geometry
        let layout = RegionColumnLayout(local)
        let compact = room.floats(local.columnRows * cout)
        for (r, region) in weights.regions.enumerated() {
            let rows = local.batch * region.positions
            let width = region.columnWidth(channels: g.inputChannels)
            let regionColumns = columns.baseAddress! + layout.offsets[r]
            for (t, gradient) in gradients.enumerated() {
                gatherRegionRows(region, of: local, width: cout, from: gradient + group.outputs.lowerBound * cout,
                                 into: compact.baseAddress!)
                matmul(UnsafeBufferPointer(rebasing: compact[0 ..< rows * cout]), weights[t, r],
                       into: UnsafeMutableBufferPointer(start: regionColumns, count: rows * width), m: rows,
                       accumulate: t > 0)
            }
        }
        col2im(regionColumns: columns.baseAddress!, layout: layout,
               into: input + group.images.lowerBound * g.imageInputCount, geometry: local, accumulate: accumulate)
    }
}

/// One slot's share of the weight gradient (groups slot, slot + slots, …), written to `sum` (added
/// to it when `accumulate`). Regions whose weight rows are one run multiply straight into those rows
/// of `sum`, the first of them (all taps, when there is such a region) storing; the others go through
/// a buffer and are added row run by row run.
func weightGradientByRegion(
    _ terms: [(input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>)], groups: ImageGroups,
    slot: Int, slots: Int, outputChannels cout: Int, into sum: UnsafeMutablePointer<Float>, accumulate: Bool
) {
    let g = groups.geometry
    let allTaps = 0 ..< g.columnWidth
    // Each region with its weight rows when they are one run; a region with every tap first: its
    // product covers all of `sum` and can store into it.
    let regions = g.regions
        .map { ($0, $0.contiguousWeightRows(kernelWidth: g.kernelWidth, channels: g.inputChannels)) }
        .sorted { ($0.1 == allTaps ? 0 : 1) < ($1.1 == allTaps ? 0 : 1) }
    var written = accumulate  // whether every row of `sum` holds a value to add to
    if !written && regions.first?.1 != allTaps {
        sum.update(repeating: 0, count: g.columnWidth * cout)
        written = true
    }
    let room = Scratch()
    defer { room.release() }
    let columns = room.floats(groups.columnCapacity).baseAddress!
    let compact = room.floats(groups.size * g.outputHeight * g.outputWidth * cout).baseAddress!
    let part = room.floats(g.columnWidth * cout).baseAddress!
    for index in stride(from: slot, to: groups.count, by: slots) {
        let group = groups[index]
        let local = group.geometry
        for (region, run) in regions {
            let rows = local.batch * region.positions
            let width = region.columnWidth(channels: g.inputChannels)
            let target = run.map { sum + $0.lowerBound * cout } ?? part
            for (t, term) in terms.enumerated() {
                im2col(term.input + group.images.lowerBound * g.imageInputCount, into: columns, geometry: local,
                       region: region)
                gatherRegionRows(region, of: local, width: cout, from: term.outputGradient + group.outputs.lowerBound * cout,
                                 into: compact)
                matmul(UnsafeBufferPointer(start: columns, count: rows * width),
                       UnsafeBufferPointer(start: compact, count: rows * cout),
                       into: UnsafeMutableBufferPointer(start: target, count: width * cout), m: width, n: cout, k: rows,
                       transposeA: true, accumulate: t > 0 || (run != nil && written))
            }
            if run == nil { addRegionWeights(part, region, of: g, outputChannels: cout, into: sum) }
            written = true
        }
    }
}
