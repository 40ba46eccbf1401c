extension JSONParser {
    /// Parses `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    ///
    /// Integers that fit `Int64` are exact; everything else is converted by the stdlib's
    /// correctly rounded `Double(String)` once the grammar has been checked here.
    /// A number too large for `Double` (e.g. `1e400`) is an error rather than infinity.
    mutating func parseNumber() throws(JSONError) -> JSONValue {
        let start = position
        let negative = bytes[position] == ASCII.minus
        if negative { position += 1 }

        let integerStart = position
        guard position < bytes.count else { throw endOfInput() }
        if bytes[position] == ASCII.zero {
            position += 1
            if position < bytes.count, isDigit(bytes[position]) {
                throw JSONError(offset: integerStart, reason: "leading zero in number")
            }
        } else {
            try digits()
        }
        let integerEnd = position

        var isInteger = true
        if position < bytes.count, bytes[position] == ASCII.dot {
            isInteger = false
            position += 1
            try digits()
        }
        if position < bytes.count, bytes[position] | 0x20 == ASCII.e {
            isInteger = false
            position += 1
            if position < bytes.count, bytes[position] == ASCII.plus || bytes[position] == ASCII.minus {
                position += 1
            }
            try digits()
        }

        if isInteger, let value = exactInteger(integerStart..<integerEnd, negative: negative) {
            // "-0" has no Int64 form; it stays a double so the sign survives.
            if negative && value == 0 { return .double(-0.0) }
            return .int(value)
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            throw JSONError(offset: start, reason: "number out of range")
        }
        return .double(value)
    }

    /// One or more decimal digits.
    private mutating func digits() throws(JSONError) {
        guard position < bytes.count else { throw endOfInput() }
        guard isDigit(bytes[position]) else { throw unexpected(at: position) }
        position += 1
        while position < bytes.count, isDigit(bytes[position]) { position += 1 }
    }

    /// The digits in `range` as an `Int64`, or nil if they do not fit.
    /// Negative values accumulate downwards so `Int64.min` is reachable.
    private func exactInteger(_ range: Range<Int>, negative: Bool) -> Int64? {
        if range.count > 19 { return nil }
        var value: Int64 = 0
        for offset in range {
            let digit = Int64(bytes[offset] &- ASCII.zero)
            let (shifted, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (next, overflowB) = negative
                ? shifted.subtractingReportingOverflow(digit)
                : shifted.addingReportingOverflow(digit)
            if overflowA || overflowB { return nil }
            value = next
        }
        return value
    }

    @inline(__always)
    private func isDigit(_ byte: UInt8) -> Bool {
        byte &- ASCII.zero < 10
    }
}
