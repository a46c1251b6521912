// Convolution geometry for NHWC tensors: padding modes and the output size they give.
// Output size = floor((H + padTop + padBottom - kernelHeight) / stride) + 1 (the same for the width).

/// How a convolution pads its input.
public enum Padding: Sendable, Equatable {
    /// No padding: only windows that fit entirely inside the input.
    case valid
    /// TensorFlow SAME: output = ceil(H / stride); the odd extra pad goes at the bottom/right.
    case same
    /// Explicit zero padding on each side.
    case explicit(top: Int, bottom: Int, left: Int, right: Int)

    /// The same padding `p` on all four sides (PyTorch `padding=p`).
    public static func symmetric(_ p: Int) -> Padding {
        .explicit(top: p, bottom: p, left: p, right: p)
    }
}

/// Shapes of one 2-D convolution over an NHWC input `[batch, inputHeight, inputWidth, inputChannels]`
/// with a `[kernelHeight, kernelWidth]` window.
public struct ConvGeometry: Sendable, Equatable {
    public let batch, inputHeight, inputWidth, inputChannels: Int
    public let kernelHeight, kernelWidth, strideHeight, strideWidth: Int
    public let padTop, padBottom, padLeft, padRight: Int
    public let outputHeight, outputWidth: Int

    public init(
        batch: Int, inputHeight: Int, inputWidth: Int, inputChannels: Int,
        kernelHeight: Int, kernelWidth: Int, stride: Int = 1, padding: Padding = .valid
    ) {
        precondition(
            batch >= 0 && inputHeight >= 0 && inputWidth >= 0 && inputChannels >= 0,
            "ConvGeometry: input sizes must be non-negative, got batch \(batch), "
                + "\(inputHeight)x\(inputWidth)x\(inputChannels)")
        precondition(
            kernelHeight > 0 && kernelWidth > 0 && stride > 0,
            "ConvGeometry: kernel \(kernelHeight)x\(kernelWidth) and stride \(stride) must be positive")
        self.batch = batch
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
        self.inputChannels = inputChannels
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.strideHeight = stride
        self.strideWidth = stride

        func samePads(_ size: Int, _ kernel: Int) -> (Int, Int) {
            let output = (size + stride - 1) / stride
            let total = max((output - 1) * stride + kernel - size, 0)
            return (total / 2, total - total / 2)
        }
        switch padding {
        case .valid:
            (padTop, padBottom, padLeft, padRight) = (0, 0, 0, 0)
        case .same:
            (padTop, padBottom) = samePads(inputHeight, kernelHeight)
            (padLeft, padRight) = samePads(inputWidth, kernelWidth)
        case .explicit(let top, let bottom, let left, let right):
            precondition(
                top >= 0 && bottom >= 0 && left >= 0 && right >= 0,
                "ConvGeometry: padding must be non-negative, got top \(top) bottom \(bottom) "
                    + "left \(left) right \(right)")
            (padTop, padBottom, padLeft, padRight) = (top, bottom, left, right)
        }
        let paddedHeight = inputHeight + padTop + padBottom
        let paddedWidth = inputWidth + padLeft + padRight
        precondition(
            paddedHeight >= kernelHeight && paddedWidth >= kernelWidth,
            "ConvGeometry: kernel \(kernelHeight)x\(kernelWidth) is larger than the padded input "
                + "\(paddedHeight)x\(paddedWidth)")
        outputHeight = (paddedHeight - kernelHeight) / stride + 1
        outputWidth = (paddedWidth - kernelWidth) / stride + 1
    }

    /// Rows of the im2col matrix: `batch * outputHeight * outputWidth`.
    public var columnRows: Int { batch * outputHeight * outputWidth }
    /// Width of the im2col matrix: `kernelHeight * kernelWidth * inputChannels`.
    public var columnWidth: Int { kernelHeight * kernelWidth * inputChannels }
    /// Elements of the input: `batch * inputHeight * inputWidth * inputChannels`.
    public var inputCount: Int { batch * inputHeight * inputWidth * inputChannels }
    /// Elements of an output with `channels` channels: `batch * outputHeight * outputWidth * channels`.
    public func outputCount(channels: Int) -> Int { columnRows * channels }
}
