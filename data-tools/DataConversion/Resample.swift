// Image resizing that reproduces Pillow's `Image.resize` on 8-bit images (libImaging/Resample.c):
// separable convolution, horizontal pass then vertical, coefficients in 22-bit fixed point,
// each pass rounded and clipped to uint8. Also Pillow's NEAREST (what it uses for 1-bit images).

import Foundation

/// Resampling filters, with Pillow's kernels and supports.
public enum ResampleFilter: String, Sendable, CaseIterable {
    case nearest, box, bilinear, bicubic, lanczos

    /// Kernel support radius at scale 1.
    var support: Double {
        switch self {
        case .nearest, .box: return 0.5
        case .bilinear: return 1
        case .bicubic: return 2
        case .lanczos: return 3
        }
    }

    func weight(_ x: Double) -> Double {
        switch self {
        case .nearest, .box: return (x > -0.5 && x <= 0.5) ? 1 : 0
        case .bilinear: return max(0, 1 - abs(x))
        case .bicubic:  // a = −0.5
            let t = abs(x), a = -0.5
            if t < 1 { return ((a + 2) * t - (a + 3)) * t * t + 1 }
            if t < 2 { return (((t - 5) * t + 8) * t - 4) * a }
            return 0
        case .lanczos:  // sinc(x)·sinc(x/3) on [−3, 3)
            guard x >= -3 && x < 3 else { return 0 }
            return Self.sinc(x) * Self.sinc(x / 3)
        }
    }

    static func sinc(_ x: Double) -> Double {
        if x == 0 { return 1 }
        let angle = x * Double.pi
        return sin(angle) / angle
    }
}

/// Resizes uint8 images stored `[H, W, C]` (C interleaved channels) from one size to another.
/// The coefficients are computed once, so converting many same-size images is cheap.
public struct Resampler: Sendable {
    public let inHeight: Int, inWidth: Int, outHeight: Int, outWidth: Int
    public let filter: ResampleFilter
    private let horizontal: Resample.Coefficients
    private let vertical: Resample.Coefficients

    public init(from size: (height: Int, width: Int), to outSize: (height: Int, width: Int), filter: ResampleFilter) {
        precondition(size.height > 0 && size.width > 0 && outSize.height > 0 && outSize.width > 0, "Resampler: empty size")
        (inHeight, inWidth, outHeight, outWidth) = (size.height, size.width, outSize.height, outSize.width)
        self.filter = filter
        horizontal = Resample.coefficients(inSize: inWidth, outSize: outWidth, filter: filter)
        vertical = Resample.coefficients(inSize: inHeight, outSize: outHeight, filter: filter)
    }

    /// Pillow-equivalent `resize((outWidth, outHeight), filter)` of one 8-bit image.
    public func resize(_ pixels: [UInt8], channels: Int) -> [UInt8] {
        precondition(pixels.count == inHeight * inWidth * channels,
                     "resize: \(pixels.count) bytes for \(inHeight)×\(inWidth)×\(channels)")
        if inHeight == outHeight && inWidth == outWidth { return pixels }
        if filter == .nearest {
            return Resample.nearest(pixels, height: inHeight, width: inWidth, channels: channels,
                                    toHeight: outHeight, toWidth: outWidth)
        }
        let precision = Resample.precisionBits
        // Rows the vertical pass reads (Pillow only resamples those horizontally).
        let firstRow = vertical.starts.first!, lastRow = vertical.starts.last! + vertical.counts.last!
        var current = pixels, currentWidth = inWidth, rowOffset = 0
        if outWidth != inWidth {
            let rows = lastRow - firstRow
            var out = [UInt8](repeating: 0, count: rows * outWidth * channels)
            for y in 0..<rows {
                let source = (y + firstRow) * inWidth * channels
                for x in 0..<outWidth {
                    let start = horizontal.starts[x], count = horizontal.counts[x], weights = x * horizontal.stride
                    for channel in 0..<channels {
                        var sum = 1 << (precision - 1)
                        for k in 0..<count {
                            sum += Int(current[source + (start + k) * channels + channel]) * horizontal.weights[weights + k]
                        }
                        out[(y * outWidth + x) * channels + channel] = Resample.clip8(sum)
                    }
                }
            }
            current = out
            currentWidth = outWidth
            rowOffset = firstRow
        }
        if outHeight == inHeight { return current }
        let rowLength = currentWidth * channels
        var out = [UInt8](repeating: 0, count: outHeight * rowLength)
        for y in 0..<outHeight {
            let start = vertical.starts[y] - rowOffset, count = vertical.counts[y], weights = y * vertical.stride
            for x in 0..<rowLength {
                var sum = 1 << (precision - 1)
                for k in 0..<count { sum += Int(current[(start + k) * rowLength + x]) * vertical.weights[weights + k] }
                out[y * rowLength + x] = Resample.clip8(sum)
            }
        }
        return out
    }
}

/// Pillow's resampling arithmetic.
public enum Resample {
    static let precisionBits = 22  // Pillow: 32 − 8 − 2

    /// One axis: output `i` reads `counts[i]` inputs from `starts[i]` with fixed-point `weights[i·stride...]`.
    struct Coefficients: Sendable {
        var starts: [Int], counts: [Int], weights: [Int], stride: Int
    }

    /// Resizes one image (builds a `Resampler`; reuse one for many images).
    public static func resize(_ pixels: [UInt8], height: Int, width: Int, channels: Int,
                              toHeight outHeight: Int, toWidth outWidth: Int, filter: ResampleFilter) -> [UInt8] {
        Resampler(from: (height, width), to: (outHeight, outWidth), filter: filter).resize(pixels, channels: channels)
    }

    /// Pillow's `clip8`: arithmetic shift, then clamp to 0...255.
    @inline(__always) static func clip8(_ sum: Int) -> UInt8 {
        UInt8(clamping: sum >> precisionBits)
    }

    /// Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc` for one axis.
    static func coefficients(inSize: Int, outSize: Int, filter: ResampleFilter) -> Coefficients {
        let scale = Double(inSize) / Double(outSize)
        let filterScale = max(scale, 1)
        let support = filter.support * filterScale
        let inverseScale = 1.0 / filterScale
        let stride = Int(support.rounded(.up)) * 2 + 1
        var result = Coefficients(starts: [], counts: [], weights: [Int](repeating: 0, count: outSize * stride), stride: stride)
        for out in 0..<outSize {
            let center = (Double(out) + 0.5) * scale
            let start = max(Int(center - support + 0.5), 0)
            let end = min(Int(center + support + 0.5), inSize)
            var kernel = (start..<end).map { filter.weight((Double($0) - center + 0.5) * inverseScale) }
            let total = kernel.reduce(0, +)
            if total != 0 { kernel = kernel.map { $0 / total } }
            let one = Double(1 << precisionBits)
            for (k, weight) in kernel.enumerated() {
                result.weights[out * stride + k] = weight < 0 ? Int(-0.5 + weight * one) : Int(0.5 + weight * one)
            }
            result.starts.append(start)
            result.counts.append(end - start)
        }
        return result
    }

    /// Pillow's NEAREST resize (an affine map sampled at pixel centres):
    /// source index = floor((i + 0.5) · in / out).
    public static func nearest(_ pixels: [UInt8], height: Int, width: Int, channels: Int,
                               toHeight outHeight: Int, toWidth outWidth: Int) -> [UInt8] {
        let xScale = Double(width) / Double(outWidth), yScale = Double(height) / Double(outHeight)
        // Pillow accumulates the source coordinate (`xo += a[0]`); so do we, to match it exactly.
        var sourceColumns = [Int](), position = xScale * 0.5
        for _ in 0..<outWidth {
            sourceColumns.append(min(Int(position), width - 1))
            position += xScale
        }
        var out = [UInt8](repeating: 0, count: outHeight * outWidth * channels)
        var rowPosition = yScale * 0.5
        for y in 0..<outHeight {
            let sourceY = min(Int(rowPosition), height - 1)
            rowPosition += yScale
            for x in 0..<outWidth {
                let source = (sourceY * width + sourceColumns[x]) * channels
                for channel in 0..<channels { out[(y * outWidth + x) * channels + channel] = pixels[source + channel] }
            }
        }
        return out
    }
}
