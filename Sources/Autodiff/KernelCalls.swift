// Plumbing between Tensor and the pointer-based kernels: allocate the result, pass buffers.
// Every Tensor-level op in Ops/ goes through these helpers.

import Kernels

extension Tensor {
    /// A new tensor of `shape` whose scalars `fill` writes (every element must be written).
    @inlinable
    static func filled(shape: [Int], _ fill: (UnsafeMutableBufferPointer<Float>) -> Void) -> Tensor {
        let count = shape.reduce(1, *)
        let scalars = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            fill(buffer)
            initialized = count
        }
        return Tensor(shape: shape, scalars: scalars)
    }

    /// Two new tensors of `shape` written by one kernel call (every element of both must be written).
    static func filledPair(shape: [Int], _ fill: (UnsafeMutableBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) -> Void)
        -> (Tensor, Tensor)
    {
        let count = shape.reduce(1, *)
        var second: [Float] = []
        let first = [Float](unsafeUninitializedCapacity: count) { a, initializedA in
            second = [Float](unsafeUninitializedCapacity: count) { b, initializedB in
                fill(a, b)
                initializedB = count
            }
            initializedA = count
        }
        return (Tensor(shape: shape, scalars: first), Tensor(shape: shape, scalars: second))
    }

    /// Applies an elementwise kernel `x → out` and returns `out` with the shape of `self`.
    @inlinable
    func map(_ kernel: (UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) -> Void) -> Tensor {
        scalars.withUnsafeBufferPointer { x in Tensor.filled(shape: shape) { kernel(x, $0) } }
    }

    /// Applies a binary elementwise kernel to two tensors of the same shape.
    @inlinable
    func zip(_ other: Tensor, _ name: String,
             _ kernel: (UnsafeBufferPointer<Float>, UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) -> Void
    ) -> Tensor {
        precondition(shape == other.shape, "\(name): shapes \(shape) and \(other.shape) differ")
        return scalars.withUnsafeBufferPointer { a in
            other.scalars.withUnsafeBufferPointer { b in Tensor.filled(shape: shape) { kernel(a, b, $0) } }
        }
    }
}

/// body(the buffers of `tensors`, nil for nil), all valid for the call: for kernels that take a
/// list of terms.
func withBuffers<R>(_ tensors: [Tensor?], _ body: ([UnsafeBufferPointer<Float>?]) -> R) -> R {
    func step(_ index: Int, _ collected: [UnsafeBufferPointer<Float>?]) -> R {
        guard index < tensors.count else { return body(collected) }
        guard let tensor = tensors[index] else { return step(index + 1, collected + [nil]) }
        return tensor.scalars.withUnsafeBufferPointer { step(index + 1, collected + [$0]) }
    }
    return step(0, [])
}

/// `withBuffers` for tensors that are all present.
func withBuffers<R>(_ tensors: [Tensor], _ body: ([UnsafeBufferPointer<Float>]) -> R) -> R {
    withBuffers(tensors.map { Optional($0) }) { body($0.map { $0! }) }
}
