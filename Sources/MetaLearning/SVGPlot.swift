// A small, dependency-free line and scatter chart written as SVG text: learning curves and the
// sinusoid picture of MAML-tf's --draw. Axes get "nice" ticks (1, 2, 5 × 10ⁿ).

import Foundation

/// A 2-D chart with lines and points, rendered to a standalone SVG document.
public struct SVGPlot: Sendable {
    public enum Style: Sendable { case line, dashedLine, points }

    public struct Series: Sendable {
        public var name: String
        public var points: [(x: Double, y: Double)]
        public var color: String
        public var style: Style

        public init(name: String, points: [(x: Double, y: Double)], color: String, style: Style = .line) {
            self.name = name
            self.points = points.filter { $0.x.isFinite && $0.y.isFinite }
            self.color = color
            self.style = style
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series] = []
    public var width = 720.0
    public var height = 440.0

    public init(title: String, xLabel: String, yLabel: String) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
    }

    /// The SVG document.
    public func render() -> String {
        let margin = (left: 72.0, right: 180.0, top: 40.0, bottom: 56.0)
        let plotWidth = width - margin.left - margin.right, plotHeight = height - margin.top - margin.bottom
        let all = series.flatMap(\.points)
        let xTicks = Self.niceTicks(all.map(\.x)), yTicks = Self.niceTicks(all.map(\.y))
        let (x0, x1) = (xTicks.first!, xTicks.last!), (y0, y1) = (yTicks.first!, yTicks.last!)
        func px(_ x: Double) -> Double { margin.left + (x - x0) / (x1 - x0) * plotWidth }
        func py(_ y: Double) -> Double { margin.top + (1 - (y - y0) / (y1 - y0)) * plotHeight }

        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
            viewBox="0 0 \(Int(width)) \(Int(height))" font-family="Helvetica, Arial, sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(f(margin.left + plotWidth / 2))" y="24" text-anchor="middle" font-size="15">\(escape(title))</text>

            """
        for tick in xTicks {
            svg += "<line x1=\"\(f(px(tick)))\" y1=\"\(f(margin.top))\" x2=\"\(f(px(tick)))\" "
                + "y2=\"\(f(margin.top + plotHeight))\" stroke=\"#e4e4e4\"/>\n"
            svg += "<text x=\"\(f(px(tick)))\" y=\"\(f(margin.top + plotHeight + 18))\" text-anchor=\"middle\">"
                + "\(Self.label(tick))</text>\n"
        }
        for tick in yTicks {
            svg += "<line x1=\"\(f(margin.left))\" y1=\"\(f(py(tick)))\" x2=\"\(f(margin.left + plotWidth))\" "
                + "y2=\"\(f(py(tick)))\" stroke=\"#e4e4e4\"/>\n"
            svg += "<text x=\"\(f(margin.left - 8))\" y=\"\(f(py(tick) + 4))\" text-anchor=\"end\">\(Self.label(tick))</text>\n"
        }
        svg += "<rect x=\"\(f(margin.left))\" y=\"\(f(margin.top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\" "
            + "fill=\"none\" stroke=\"#444\"/>\n"
        svg += "<text x=\"\(f(margin.left + plotWidth / 2))\" y=\"\(f(height - 14))\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        svg += "<text transform=\"translate(18 \(f(margin.top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">"
            + "\(escape(yLabel))</text>\n"

        for (index, line) in series.enumerated() {
            switch line.style {
            case .line, .dashedLine:
                let path = line.points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
                let dash = line.style == .dashedLine ? " stroke-dasharray=\"6 4\"" : ""
                svg += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"2\"\(dash)/>\n"
            case .points:
                for point in line.points {
                    svg += "<circle cx=\"\(f(px(point.x)))\" cy=\"\(f(py(point.y)))\" r=\"4\" fill=\"\(line.color)\"/>\n"
                }
            }
            // Legend entry.
            let ly = margin.top + 10 + Double(index) * 20, lx = margin.left + plotWidth + 16
            if line.style == .points {
                svg += "<circle cx=\"\(f(lx + 12))\" cy=\"\(f(ly))\" r=\"4\" fill=\"\(line.color)\"/>\n"
            } else {
                let dash = line.style == .dashedLine ? " stroke-dasharray=\"6 4\"" : ""
                svg += "<line x1=\"\(f(lx))\" y1=\"\(f(ly))\" x2=\"\(f(lx + 24))\" y2=\"\(f(ly))\" stroke=\"\(line.color)\" "
                    + "stroke-width=\"2\"\(dash)/>\n"
            }
            svg += "<text x=\"\(f(lx + 30))\" y=\"\(f(ly + 4))\">\(escape(line.name))</text>\n"
        }
        return svg + "</svg>\n"
    }

    /// Writes the SVG to `url`.
    public func write(to url: URL) throws {
        try Data(render().utf8).write(to: url, options: .atomic)
    }

    /// Evenly spaced round ticks covering `values` (step 1, 2 or 5 × 10ⁿ, about 5 intervals).
    static func niceTicks(_ values: [Double]) -> [Double] {
        var low = values.min() ?? 0, high = values.max() ?? 1
        if high - low < 1e-12 * max(1, abs(high)) { low -= 0.5; high += 0.5 }
        let rough = (high - low) / 5
        let magnitude = pow(10, floor(log10(rough)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= rough } ?? 10 * magnitude
        let first = floor(low / step) * step, last = ceil(high / step) * step
        return stride(from: first, through: last + step / 2, by: step).map { abs($0) < step * 1e-9 ? 0 : $0 }
    }

    /// A compact tick label: 0.25, 1.5, 3000, 1e-05.
    static func label(_ value: Double) -> String {
        if value == 0 { return "0" }
        if abs(value) >= 1e5 || abs(value) < 1e-3 { return String(format: "%.0e", value) }
        var text = String(format: "%.4f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    private func f(_ value: Double) -> String { String(format: "%.1f", value) }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
