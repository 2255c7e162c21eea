import API
import ClickModel
import Domain
import Foundation
import Wire

/// Charts drawn as inline SVG on the server: no script and no network needed.
enum Chart {
    /// Clicks per day as a line over sales per day as bars, each on its own scale.
    static func clicksAndSales(_ points: [DailyPoint], currency: Currency, width: Int = 760, height: Int = 220) -> String {
        guard !points.isEmpty else { return "<p class=\"empty\">No days in the range.</p>" }
        let left = 52.0, right = 52.0, top = 16.0, bottom = 28.0
        let plotWidth = Double(width) - left - right, plotHeight = Double(height) - top - bottom
        let maxClicks = max(1, points.map(\.clicks).max() ?? 1)
        let maxSales = max(1, points.map(\.sales).max() ?? 1)
        let step = plotWidth / Double(points.count)
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 \(width) \(height)\" role=\"img\" "
            + "aria-label=\"Billable clicks and sales per day\">"
        svg += "<line x1=\"\(left)\" y1=\"\(top + plotHeight)\" x2=\"\(left + plotWidth)\" y2=\"\(top + plotHeight)\" class=\"axis\"/>"
        for (index, point) in points.enumerated() where point.sales > 0 {
            let barHeight = plotHeight * Double(point.sales) / Double(maxSales)
            svg += "<rect class=\"sales\" x=\(fmt(left + Double(index) * step + step * 0.15)) y=\(fmt(top + plotHeight - barHeight)) "
                + "width=\(fmt(step * 0.7)) height=\(fmt(barHeight))><title>\(day(point.day)): "
                + "\(Money(minorUnits: point.sales, currency: currency).decimalString) \(currency.code)</title></rect>"
        }
        let line = points.enumerated().map { index, point in
            "\(fmt(left + (Double(index) + 0.5) * step)),\(fmt(top + plotHeight - plotHeight * Double(point.clicks) / Double(maxClicks)))"
        }.joined(separator: " ")
        svg += "<polyline class=\"clicks\" fill=\"none\" points=\"\(line)\"/>"
        for (index, point) in points.enumerated() where point.clicks > 0 {
            svg += "<circle class=\"clicks\" r=\"2.5\" cx=\(fmt(left + (Double(index) + 0.5) * step)) "
                + "cy=\(fmt(top + plotHeight - plotHeight * Double(point.clicks) / Double(maxClicks)))>"
                + "<title>\(day(point.day)): \(point.clicks) clicks</title></circle>"
        }
        svg += "<text x=\"4\" y=\"\(Int(top) + 4)\" class=\"label\">\(maxClicks) clicks</text>"
        svg += "<text x=\"\(width - 4)\" y=\"\(Int(top) + 4)\" class=\"label\" text-anchor=\"end\">"
            + "\(Money(minorUnits: maxSales, currency: currency).decimalString)</text>"
        svg += "<text x=\"\(Int(left))\" y=\"\(height - 6)\" class=\"label\">\(day(points.first!.day))</text>"
        svg += "<text x=\"\(Int(left + plotWidth))\" y=\"\(height - 6)\" class=\"label\" text-anchor=\"end\">\(day(points.last!.day))</text>"
        return svg + "</svg>"
    }

    static func fmt(_ value: Double) -> String { "\"" + String(format: "%.1f", value) + "\"" }

    static func day(_ day: Int64) -> String { String(Timestamp.format(day * 86_400_000).prefix(10)) }
}
