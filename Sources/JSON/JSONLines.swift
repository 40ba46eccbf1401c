/// Splits JSON Lines (one document per line) into numbered lines.
public enum JSONLines {
    /// The non-blank lines of `bytes`, split on "\n" with one trailing "\r" removed.
    /// Lines are numbered from 1 as in the file, counting the blank lines that are skipped
    /// (a line is blank when it holds only spaces, tabs and "\r").
    /// Each slice shares `bytes`' indices.
    public static func lines(_ bytes: [UInt8]) -> [(number: Int, bytes: ArraySlice<UInt8>)] {
        var result: [(number: Int, bytes: ArraySlice<UInt8>)] = []
        var number = 0
        var lineStart = bytes.startIndex
        while lineStart < bytes.endIndex {
            number += 1
            let lineEnd = bytes[lineStart...].firstIndex(of: ASCII.newline) ?? bytes.endIndex
            var line = bytes[lineStart..<lineEnd]
            if line.last == ASCII.carriageReturn { line = line.dropLast() }
            let blank = line.allSatisfy {
                $0 == ASCII.space || $0 == ASCII.tab || $0 == ASCII.carriageReturn
            }
            if !blank { result.append((number, line)) }
            lineStart = lineEnd + 1
        }
        return result
    }
}
