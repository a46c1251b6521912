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

/// Resizes uint8 images stored `[H, W, C]` (C interleaved channels).
public enum Resample {
    static let precisionBits = 22  // Pillow: 32 − 8 − 2

    /// Pillow-equivalent `resize((width, height), filter)` of an 8-bit image.
    public static func resize(_ pixels: [UInt8], height: Int, width: Int, channels: Int,
                              toHeight outHeight: Int, toWidth outWidth: Int, filter: ResampleFilter) -> [UInt8] {
        precondition(pixels.count == height * width * channels, "resize: \(pixels.count) bytes for \(height)×\(width)×\(channels)")
        if height == outHeight && width == outWidth { return pixels }
        if filter == .nearest {
            return nearest(pixels, height: height, width: width, channels: channels, toHeight: outHeight, toWidth: outWidth)
        }
        let vertical = coefficients(inSize: height, outSize: outHeight, filter: filter)
        // Rows the vertical pass reads (Pillow only resamples those horizontally).
        let firstRow = vertical.bounds.first!.start
        let lastRow = vertical.bounds.last!.start + vertical.bounds.last!.count
        var current = pixels, currentWidth = width, rowOffset = 0
        if outWidth != width {
            let horizontal = coefficients(inSize: width, outSize: outWidth, filter: filter)
            let rows = lastRow - firstRow
            var out = [UInt8](repeating: 0, count: rows * outWidth * channels)
            for y in 0..<rows {
                let source = (y + firstRow) * width * channels
                for x in 0..<outWidth {
                    let (start, count) = horizontal.bounds[x]
                    for channel in 0..<channels {
                        var sum = 1 << (precisionBits - 1)
                        for k in 0..<count {
                            sum += Int(current[source + (start + k) * channels + channel]) * horizontal.weights[x][k]
                        }
                        out[(y * outWidth + x) * channels + channel] = clip8(sum)
                    }
                }
            }
            current = out
            currentWidth = outWidth
            rowOffset = firstRow
        }
        if outHeight == height { return current }
        var out = [UInt8](repeating: 0, count: outHeight * currentWidth * channels)
        for y in 0..<outHeight {
            let (start, count) = vertical.bounds[y]
            for x in 0..<(currentWidth * channels) {
                var sum = 1 << (precisionBits - 1)
                for k in 0..<count {
                    sum += Int(current[(start - rowOffset + k) * currentWidth * channels + x]) * vertical.weights[y][k]
                }
                out[y * currentWidth * channels + x] = clip8(sum)
            }
        }
        return out
    }

    /// Pillow's `clip8`: arithmetic shift, then clamp to 0...255.
    @inline(__always) static func clip8(_ sum: Int) -> UInt8 {
        UInt8(clamping: sum >> precisionBits)
    }

    /// Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc` for one axis.
    static func coefficients(inSize: Int, outSize: Int, filter: ResampleFilter)
        -> (bounds: [(start: Int, count: Int)], weights: [[Int]]) {
        let scale = Double(inSize) / Double(outSize)
        let filterScale = max(scale, 1)
        let support = filter.support * filterScale
        let inverseScale = 1.0 / filterScale
        var bounds = [(start: Int, count: Int)](), weights = [[Int]]()
        for out in 0..<outSize {
            let center = (Double(out) + 0.5) * scale
            let start = max(Int(center - support + 0.5), 0)
            let end = min(Int(center + support + 0.5), inSize)
            var kernel = (start..<end).map { filter.weight((Double($0) - center + 0.5) * inverseScale) }
            let total = kernel.reduce(0, +)
            if total != 0 { kernel = kernel.map { $0 / total } }
            let one = Double(1 << precisionBits)
            weights.append(kernel.map { $0 < 0 ? Int(-0.5 + $0 * one) : Int(0.5 + $0 * one) })
            bounds.append((start, end - start))
        }
        return (bounds, weights)
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
