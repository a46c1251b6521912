// Sinusoid regression tasks (MAML, `data_generator.py: generate_sinusoid_batch`):
// y = A·sin(x − φ), A ~ U[0.1, 5], φ ~ U[0, π], x ~ U[−5, 5].

import Foundation

/// One sinusoid function.
public struct SinusoidTask: Sendable, Equatable, Codable {
    public var amplitude: Double
    public var phase: Double

    public init(amplitude: Double, phase: Double) {
        self.amplitude = amplitude
        self.phase = phase
    }

    /// y = A·sin(x − φ).
    public func callAsFunction(_ x: Double) -> Double { amplitude * sin(x - phase) }
}

/// A regression episode: K support points and the query points, `[count, 1]` each.
public struct SinusoidEpisode: Sendable, Equatable {
    public var task: SinusoidTask
    public var supportInputs: [Float]
    public var supportTargets: [Float]
    public var queryInputs: [Float]
    public var queryTargets: [Float]
}

/// The sinusoid task distribution.
public struct SinusoidTasks: Sendable, Equatable {
    public var amplitudeRange: ClosedRange<Double>
    public var phaseRange: ClosedRange<Double>
    public var inputRange: ClosedRange<Double>

    /// MAML's meta-training distribution.
    public init(amplitudeRange: ClosedRange<Double> = 0.1...5.0, phaseRange: ClosedRange<Double> = 0...Double.pi,
                inputRange: ClosedRange<Double> = -5.0...5.0) {
        self.amplitudeRange = amplitudeRange
        self.phaseRange = phaseRange
        self.inputRange = inputRange
    }

    /// Draws A, then φ.
    public func sampleTask(using generator: inout some RandomNumberGenerator) -> SinusoidTask {
        let amplitude = RandomDraws.uniform(amplitudeRange.lowerBound, amplitudeRange.upperBound, using: &generator)
        let phase = RandomDraws.uniform(phaseRange.lowerBound, phaseRange.upperBound, using: &generator)
        return SinusoidTask(amplitude: amplitude, phase: phase)
    }

    /// A task with `shots` support points then `queries` query points (MAML: queries = shots,
    /// the first K of 2K points are the inner set, the last K the outer set).
    public func sampleEpisode(shots: Int, queries: Int, using generator: inout some RandomNumberGenerator) -> SinusoidEpisode {
        precondition(shots >= 0 && queries >= 0, "SinusoidTasks: shots \(shots), queries \(queries)")
        let task = sampleTask(using: &generator)
        let inputs = (0..<(shots + queries)).map { _ in
            RandomDraws.uniform(inputRange.lowerBound, inputRange.upperBound, using: &generator)
        }
        let targets = inputs.map { Float(task($0)) }
        let floats = inputs.map { Float($0) }
        return SinusoidEpisode(task: task, supportInputs: Array(floats.prefix(shots)),
                               supportTargets: Array(targets.prefix(shots)),
                               queryInputs: Array(floats.dropFirst(shots)), queryTargets: Array(targets.dropFirst(shots)))
    }
}
