// uint8 → float conversion with k·90° counter-clockwise rotation (MAML's Omniglot
// augmentation, `tf.image.rot90`, which matches `numpy.rot90`). Foundation only.

/// Copies an `[H, W, C]` uint8 image to floats in [0, 1], rotated by quarter turns.
public enum ImageRotation {
    /// `byteToUnit[b] = Float(b) / 255`.
    static let byteToUnit: [Float] = (0..<256).map { Float($0) / 255 }

    /// The shape `[H', W']` after `quarterTurns` counter-clockwise quarter turns.
    public static func rotatedSize(height: Int, width: Int, quarterTurns: Int) -> (height: Int, width: Int) {
        normalized(quarterTurns) % 2 == 0 ? (height, width) : (width, height)
    }

    static func normalized(_ quarterTurns: Int) -> Int { ((quarterTurns % 4) + 4) % 4 }

    /// Writes `rot90(image, k)` as floats: for k = 1, `out[i][j] = in[j][W−1−i]`;
    /// k = 2, `out[i][j] = in[H−1−i][W−1−j]`; k = 3, `out[i][j] = in[H−1−j][i]`.
    /// `destination` needs `H·W·C` floats.
    public static func copyRotated(_ bytes: UnsafeRawBufferPointer, height: Int, width: Int, channels: Int,
                                   quarterTurns: Int, into destination: UnsafeMutablePointer<Float>) {
        precondition(bytes.count == height * width * channels,
                     "copyRotated: \(bytes.count) bytes for a \(height)×\(width)×\(channels) image")
        let k = normalized(quarterTurns)
        let (outHeight, outWidth) = rotatedSize(height: height, width: width, quarterTurns: k)
        byteToUnit.withUnsafeBufferPointer { table in
            if k == 0 {
                for index in 0..<bytes.count { destination[index] = table[Int(bytes[index])] }
                return
            }
            var out = 0
            for i in 0..<outHeight {
                for j in 0..<outWidth {
                    let (row, column): (Int, Int)
                    switch k {
                    case 1: (row, column) = (j, width - 1 - i)
                    case 2: (row, column) = (height - 1 - i, width - 1 - j)
                    default: (row, column) = (height - 1 - j, i)
                    }
                    let source = (row * width + column) * channels
                    for channel in 0..<channels {
                        destination[out] = table[Int(bytes[source + channel])]
                        out += 1
                    }
                }
            }
        }
    }
}
