// `--profile-products`: after each benchmark, the matrix products it ran (Kernels' `ProductProfile`),
// the most time first, printed to standard error so the JSON lines on standard output stay clean.

import Foundation
import Kernels

/// The table for one benchmark: each shape's share of the time spent in products, its calls and its
/// rate (per calling thread; see `ProductProfile`), and the total.
func productReport(_ benchmark: String, entries: [ProductProfile.Entry], rows: Int = 25) -> String {
    let total = entries.reduce(0) { $0 + $1.seconds }
    guard total > 0 else { return "\(benchmark): no matrix products\n" }
    var lines = ["\(benchmark): matrix products by time (wall time on the calling thread)",
                 "   share      calls  GFLOP/s  product (m×n×k, operands, algorithm)"]
    for entry in entries.prefix(rows) {
        lines.append(String(format: "  %5.1f%%  %9d  %7.1f  ", 100 * entry.seconds / total, entry.calls, entry.gflops)
                     + entry.shape.description)
    }
    if entries.count > rows {
        let rest = entries.dropFirst(rows)
        let seconds = rest.reduce(0) { $0 + $1.seconds }
        lines.append(String(format: "  %5.1f%%  %9d           %d other shapes", 100 * seconds / total,
                            rest.reduce(0) { $0 + $1.calls }, rest.count))
    }
    let flops = entries.reduce(0) { $0 + $1.flops }
    lines.append(String(format: "  all products: %.3f s, %.1f GFLOP/s", total, flops / total / 1e9))
    return lines.joined(separator: "\n") + "\n"
}
