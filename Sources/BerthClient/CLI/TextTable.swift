/// A plain text table a person reads at a glance: a header row, columns padded with two spaces,
/// no trailing blanks.
public struct TextTable: Hashable, Sendable {
    public var headers: [String]
    public var rows: [[String]]

    public init(headers: [String], rows: [[String]]) {
        self.headers = headers
        self.rows = rows
    }

    /// The table as lines (each without its newline).
    public func render() -> [String] {
        let all = [headers] + rows
        var widths = [Int](repeating: 0, count: headers.count)
        for row in all {
            for (column, cell) in row.prefix(headers.count).enumerated() { widths[column] = max(widths[column], cell.count) }
        }
        return all.map { row in
            var line = ""
            for (column, cell) in row.prefix(headers.count).enumerated() {
                line += cell
                if column < headers.count - 1 { line += String(repeating: " ", count: widths[column] - cell.count + 2) }
            }
            while line.last == " " { line.removeLast() }
            return line
        }
    }
}
