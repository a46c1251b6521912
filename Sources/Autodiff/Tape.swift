// Reverse mode: an append-only record of operations (a Wengert list) and its backward pass.
// Pullbacks map an output cotangent to input cotangents using Dual ops only, so the backward
// pass propagates tangents too (forward over reverse, giving exact Hessian-vector products).

/// Maps the cotangent of an op's output to the cotangents of its inputs. `needed[i]` is false
/// when input i needs no gradient; the pullback may then return nil for it and skip the work.
public typealias Pullback = (_ cotangent: Dual, _ needed: [Bool]) -> [Dual?]

/// The record of one differentiable computation.
///
/// `Tape` is the only reference type in the engine: every op on a `Variable` appends to the
/// tape that its operands share, and `Variable` is a handle (tape, index). A tape belongs to
/// one thread: give each task of a meta-batch its own.
public final class Tape {
    struct Node {
        var value: Dual
        var inputs: [Int]
        var pullback: Pullback?
        var needsGradient: Bool
    }

    private(set) var nodes: [Node] = []
    /// When false, ops compute values and tangents but keep no pullbacks (JVP-only or inference).
    public let isRecording: Bool

    public init(recording: Bool = true) { isRecording = recording }

    /// A new input. Gradients are returned for variables made with `needsGradient: true`.
    public func variable(_ value: Dual, needsGradient: Bool = true) -> Variable {
        nodes.append(Node(value: value, inputs: [], pullback: nil, needsGradient: needsGradient && isRecording))
        return Variable(tape: self, id: nodes.count - 1)
    }

    /// A constant: a value that nothing is differentiated with respect to.
    public func constant(_ value: Tensor) -> Variable {
        variable(Dual(value), needsGradient: false)
    }

    /// Appends the result of an op. Called by the ops in `Ops/`, not by users.
    public func record(_ value: Dual, inputs: [Variable], pullback: @escaping Pullback) -> Variable {
        let ids = inputs.map { input in
            precondition(input.tape === self, "Variables from different tapes cannot be combined")
            return input.id
        }
        let needs = isRecording && ids.contains { nodes[$0].needsGradient }
        nodes.append(Node(value: value, inputs: ids, pullback: needs ? pullback : nil, needsGradient: needs))
        return Variable(tape: self, id: nodes.count - 1)
    }

    func value(of id: Int) -> Dual { nodes[id].value }

    /// Whether a gradient will flow to `variable` (it is, or depends on, an input that needs one).
    func needsGradient(_ variable: Variable) -> Bool { nodes[variable.id].needsGradient }

    /// Runs the pullbacks from `output` back to the leaves.
    ///
    /// - Parameters:
    ///   - output: the variable to differentiate, usually a scalar loss.
    ///   - seed: the output cotangent; ones by default (∂L/∂L = 1 for a scalar loss).
    ///   - leaves: the variables whose cotangents to return.
    /// - Returns: for each leaf, ∂⟨seed, output⟩/∂leaf as a `Dual`, whose tangent is the
    ///   derivative of that gradient along the tangents the inputs were given.
    public func gradients(of output: Variable, seed: Dual? = nil, at leaves: [Variable]) -> [Dual] {
        precondition(isRecording, "Tape.gradients: this tape was created with recording: false")
        var cotangents = [Dual?](repeating: nil, count: output.id + 1)
        cotangents[output.id] = seed ?? Dual(Tensor(repeating: 1, shape: output.shape))
        let keep = Set(leaves.map(\.id))
        for id in stride(from: output.id, through: 0, by: -1) {
            guard let cotangent = cotangents[id], let pullback = nodes[id].pullback else { continue }
            let inputs = nodes[id].inputs
            let needed = inputs.map { nodes[$0].needsGradient }
            let inputCotangents = pullback(cotangent, needed)
            precondition(inputCotangents.count == inputs.count, "pullback returned the wrong arity")
            for (k, input) in inputs.enumerated() where needed[k] {
                guard let contribution = inputCotangents[k] else { continue }
                if let existing = cotangents[input] {
                    cotangents[input] = existing + contribution
                } else {
                    cotangents[input] = contribution
                }
            }
            if !keep.contains(id) { cotangents[id] = nil }
        }
        return leaves.map { leaf in
            cotangents[leaf.id] ?? Dual(Tensor(zeros: leaf.shape))
        }
    }
}

/// A handle to a value recorded on a `Tape`. Ops on variables compute a `Dual` and record a
/// pullback.
public struct Variable {
    public let tape: Tape
    public let id: Int

    /// The value and its tangent.
    public var dual: Dual { tape.value(of: id) }
    public var value: Tensor { dual.value }
    public var shape: [Int] { dual.shape }
}
