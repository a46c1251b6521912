// Named, ordered parameter tensors with vector-space operations: θ, gradients, tangents and
// optimizer moments all use this one type. Models are functions of parameters passed in.

import Autodiff

/// An ordered list of named tensors.
///
/// Order matters: models read their parameters by position (`logits(_:parameters:)` takes
/// `[Variable]` in this order), and names are for people (checkpoints, logs, plots).
public struct Parameters: Sendable, Equatable {
    public private(set) var names: [String]
    public var tensors: [Tensor]

    public init(names: [String], tensors: [Tensor]) {
        precondition(names.count == tensors.count, "Parameters: \(names.count) names, \(tensors.count) tensors")
        precondition(Set(names).count == names.count, "Parameters: duplicate names in \(names)")
        self.names = names
        self.tensors = tensors
    }

    public init(_ pairs: [(String, Tensor)]) {
        self.init(names: pairs.map(\.0), tensors: pairs.map(\.1))
    }

    public var count: Int { tensors.count }
    /// Total number of scalars.
    public var scalarCount: Int { tensors.reduce(0) { $0 + $1.count } }

    public func index(of name: String) -> Int? { names.firstIndex(of: name) }

    public subscript(name: String) -> Tensor {
        get {
            guard let i = index(of: name) else { preconditionFailure("Parameters: no tensor named \(name)") }
            return tensors[i]
        }
        set {
            guard let i = index(of: name) else { preconditionFailure("Parameters: no tensor named \(name)") }
            tensors[i] = newValue
        }
    }

    /// The same names with new tensors (of the same shapes).
    public func with(_ newTensors: [Tensor]) -> Parameters {
        precondition(newTensors.count == count && zip(newTensors, tensors).allSatisfy { $0.shape == $1.shape },
                     "Parameters.with: shapes differ")
        return Parameters(names: names, tensors: newTensors)
    }

    /// Zeros with the same names and shapes.
    public var zeros: Parameters { with(tensors.map { Tensor(zeros: $0.shape) }) }

    public static func + (a: Parameters, b: Parameters) -> Parameters { a.with(zip(a.tensors, b.tensors).map { $0 + $1 }) }
    public static func - (a: Parameters, b: Parameters) -> Parameters { a.with(zip(a.tensors, b.tensors).map { $0 - $1 }) }
    public func scaled(by s: Float) -> Parameters { with(tensors.map { $0.scaled(by: s) }) }

    /// ⟨a, b⟩ accumulated in Double.
    public func dot(_ other: Parameters) -> Double {
        zip(tensors, other.tensors).reduce(0) { total, pair in
            total + zip(pair.0.scalars, pair.1.scalars).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
    }

    /// True when every scalar is finite (no NaN or infinity).
    public var isFinite: Bool { tensors.allSatisfy { $0.scalars.allSatisfy(\.isFinite) } }
}
