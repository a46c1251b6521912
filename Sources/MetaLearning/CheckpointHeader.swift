// The JSON header of a checkpoint file and the validating decoder: any damage (truncation,
// flipped bytes, a foreign file) becomes a CheckpointError, never a crash.

import Autodiff
import Foundation
import NN

/// What the checkpoint header records besides the tensors' bits.
struct CheckpointHeader: Codable {
    struct TensorEntry: Codable {
        /// "theta", "alpha", "encoder", "adam.m" or "adam.v".
        var group: String
        var name: String
        var shape: [Int]
    }

    struct OptimizerSettings: Codable {
        var learningRate: Float
        var beta1: Float
        var beta2: Float
        var epsilon: Float
        var clipValue: Float?
        var step: Int
    }

    var iteration: Int
    /// The task-stream state as 16 hexadecimal digits (JSON numbers lose precision above 2⁵³).
    var taskStreamState: String
    var optimizer: OptimizerSettings
    var tensors: [TensorEntry]
    var metadata: [String: String]

    init(state: TrainingState, metadata: [String: String], tensors: [TensorEntry]) {
        iteration = state.iteration
        taskStreamState = String(state.taskStreamState, radix: 16)
        let adam = state.optimizer
        optimizer = OptimizerSettings(learningRate: adam.learningRate, beta1: adam.beta1, beta2: adam.beta2,
                                      epsilon: adam.epsilon, clipValue: adam.clipValue, step: adam.step)
        self.tensors = tensors
        self.metadata = metadata
    }
}

extension Checkpoint {
    /// Decodes and validates checkpoint bytes; `path` names the source in error messages.
    public init(data: Data, path: String = "<memory>") throws {
        let bytes = [UInt8](data)
        guard bytes.count >= Self.prefixLength, Array(bytes[0..<8]) == Self.magic else {
            throw CheckpointError.notACheckpoint(path: path)
        }
        let version = bytes.readLittleEndian(UInt32.self, at: 8)
        guard version == Self.formatVersion else {
            throw CheckpointError.unsupportedVersion(path: path, found: version, supported: Self.formatVersion)
        }
        let headerLength = Int(bytes.readLittleEndian(UInt32.self, at: 12))
        let payloadLength = bytes.readLittleEndian(UInt64.self, at: 16)
        guard payloadLength <= UInt64(Int.max / 2) else {
            throw CheckpointError.corruptHeader(path: path, reason: "payload length \(payloadLength) is impossible")
        }
        let expected = Self.prefixLength + headerLength + Int(payloadLength)
        guard bytes.count == expected else {
            throw CheckpointError.truncated(path: path, expectedBytes: expected, actualBytes: bytes.count)
        }
        guard fnv1a64(bytes[Self.prefixLength...]) == bytes.readLittleEndian(UInt64.self, at: 24) else {
            throw CheckpointError.checksumMismatch(path: path)
        }
        let headerEnd = Self.prefixLength + headerLength
        let header: CheckpointHeader
        do {
            header = try JSONDecoder().decode(CheckpointHeader.self, from: Data(bytes[Self.prefixLength..<headerEnd]))
        } catch {
            throw CheckpointError.corruptHeader(path: path, reason: "unreadable JSON (\(error))")
        }
        self = try Self.assemble(header, payload: bytes[headerEnd...], path: path)
    }

    /// Rebuilds the training state from a decoded header and its payload.
    static func assemble(_ header: CheckpointHeader, payload: ArraySlice<UInt8>, path: String) throws -> Checkpoint {
        func corrupt(_ reason: String) -> CheckpointError { .corruptHeader(path: path, reason: reason) }
        guard let streamState = UInt64(header.taskStreamState, radix: 16) else {
            throw corrupt("task-stream state \"\(header.taskStreamState)\" is not hexadecimal")
        }
        var groups: [String: [(String, Tensor)]] = [:]
        var offset = payload.startIndex
        for entry in header.tensors {
            guard entry.shape.allSatisfy({ $0 >= 0 && $0 < 1 << 31 }) else { throw corrupt("tensor \(entry.name) has shape \(entry.shape)") }
            let count = entry.shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
            guard count < Int.max / 4, payload.endIndex - offset >= 4 * count else {
                throw corrupt("tensor \(entry.name) \(entry.shape) does not fit in the payload")
            }
            let scalars = (0..<count).map { Float(bitPattern: payload.readLittleEndian(UInt32.self, at: offset + 4 * $0)) }
            offset += 4 * count
            groups[entry.group, default: []].append((entry.name, Tensor(shape: entry.shape, scalars: scalars)))
        }
        guard offset == payload.endIndex else { throw corrupt("\(payload.endIndex - offset) payload bytes are unused") }
        guard let theta = groups["theta"], !theta.isEmpty, Set(theta.map(\.0)).count == theta.count else {
            throw corrupt("no parameters, or duplicate parameter names")
        }
        let alpha = groups["alpha"]
        if let alpha, Set(alpha.map(\.0)).count != alpha.count { throw corrupt("duplicate step-size names") }
        let phi = groups["encoder"]
        if let phi, Set(phi.map(\.0)).count != phi.count { throw corrupt("duplicate encoder parameter names") }
        let trainable = theta.count + (alpha?.count ?? 0) + (phi?.count ?? 0)
        let first = groups["adam.m"] ?? [], second = groups["adam.v"] ?? []
        let shapes = (theta + (alpha ?? []) + (phi ?? [])).map(\.1.shape)
        guard first.count == second.count, first.isEmpty || first.count == trainable,
              first.isEmpty || (first.map(\.1.shape) == shapes && second.map(\.1.shape) == shapes) else {
            throw corrupt("the Adam moments do not match the parameters")
        }
        let settings = header.optimizer
        guard header.iteration >= 0, settings.step >= 0 else { throw corrupt("negative iteration or step") }
        var adam = Adam(learningRate: settings.learningRate, clipValue: settings.clipValue)
        adam.beta1 = settings.beta1
        adam.beta2 = settings.beta2
        adam.epsilon = settings.epsilon
        adam.step = settings.step
        adam.firstMoments = first.map(\.1)
        adam.secondMoments = second.map(\.1)
        let state = TrainingState(iteration: header.iteration, parameters: Parameters(theta),
                                  stepSizes: alpha.map { Parameters($0) }, encoderParameters: phi.map { Parameters($0) },
                                  optimizer: adam,
                                  taskStreamState: streamState)
        return Checkpoint(state: state, metadata: header.metadata)
    }
}

extension Collection where Element == UInt8, Index == Int {
    /// The little-endian integer at byte `offset` (the caller checks the bounds).
    func readLittleEndian<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        var value: T = 0
        for byte in 0..<MemoryLayout<T>.size { value |= T(self[offset + byte]) << (8 * byte) }
        return value
    }
}
