// Convolution shapes shared by the im2col and transposed-convolution tests: strides 1 and 2,
// valid / same / explicit padding (windows wholly in the padding too), channels 1, 3, 5 and beyond 8,
// kernels 1, 3, 4, an empty batch.

import Kernels
import Testing

struct ConvCase: Sendable, CustomTestStringConvertible {
    let geometry: ConvGeometry
    let outputChannels: Int
    let name: String

    init(_ b: Int, _ h: Int, _ w: Int, _ c: Int, k: Int, s: Int, _ padding: Padding, cout: Int) {
        geometry = ConvGeometry(batch: b, inputHeight: h, inputWidth: w, inputChannels: c,
                                kernelHeight: k, kernelWidth: k, stride: s, padding: padding)
        outputChannels = cout
        name = "[\(b),\(h),\(w),\(c)] k\(k) s\(s) \(padding) → \(geometry.outputHeight)x\(geometry.outputWidth)x\(cout)"
    }

    var testDescription: String { name }
}

let convCases: [ConvCase] = [
    ConvCase(1, 1, 1, 1, k: 1, s: 1, .valid, cout: 1),
    ConvCase(2, 7, 7, 3, k: 3, s: 1, .same, cout: 5),
    ConvCase(1, 13, 7, 5, k: 3, s: 2, .symmetric(1), cout: 4),
    ConvCase(2, 8, 9, 1, k: 4, s: 2, .symmetric(1), cout: 3),
    ConvCase(1, 7, 13, 3, k: 4, s: 2, .same, cout: 2),
    ConvCase(3, 5, 6, 5, k: 3, s: 2, .explicit(top: 2, bottom: 0, left: 1, right: 3), cout: 7),
    ConvCase(1, 33, 33, 1, k: 3, s: 2, .symmetric(1), cout: 8),
    ConvCase(2, 9, 9, 17, k: 1, s: 1, .valid, cout: 9),
    ConvCase(1, 6, 6, 9, k: 3, s: 1, .explicit(top: 0, bottom: 1, left: 2, right: 0), cout: 13),
    ConvCase(2, 4, 4, 2, k: 4, s: 2, .symmetric(1), cout: 3),
    ConvCase(1, 14, 14, 3, k: 4, s: 2, .symmetric(1), cout: 2),
    ConvCase(1, 65, 3, 1, k: 3, s: 1, .same, cout: 1),
    ConvCase(1, 2, 2, 3, k: 4, s: 2, .symmetric(1), cout: 2),
    ConvCase(0, 5, 5, 3, k: 3, s: 1, .valid, cout: 2),
    ConvCase(2, 7, 7, 16, k: 3, s: 2, .symmetric(1), cout: 3),
    ConvCase(1, 9, 8, 2, k: 2, s: 3, .valid, cout: 2),
    // Output row 0 and the last output column see only padding (regions with no taps).
    ConvCase(2, 3, 3, 2, k: 2, s: 1, .explicit(top: 2, bottom: 0, left: 0, right: 2), cout: 3),
]
