import CLibPQ

extension Connection {
    /// `PQexecParams` with the query's binds (results in text, or binary with `resultFormat`
    /// 1); nil when libpq could not even send it.
    func execParams(_ q: Query, resultFormat: Int32 = 0) throws(StoreError) -> OpaquePointer? {
        let binds = q.binds
        for (i, bind) in binds.enumerated() where bind.format == .text && bind.bytes?.contains(0) == true {
            // libpq reads text parameters up to the first NUL: refuse rather than truncate.
            throw StoreError(
                .query, sqlState: "22021",
                message: "parameter $\(i + 1) contains a NUL byte, which PostgreSQL text cannot store", sql: q.sql)
        }
        let types = binds.map(\.oid)
        let lengths = binds.map { Int32($0.bytes?.count ?? 0) }
        let formats = binds.map(\.format.rawValue)
        // Binary values (bytea: file chunks of megabytes) are passed in place; text values get
        // their terminating NUL in a copy.
        let inPlace = binds.map { $0.format == .binary && $0.bytes?.isEmpty == false }
        return withCStrings(binds.indices.map { inPlace[$0] ? nil : binds[$0].bytes }) { textPointers in
            withBinaryPointers(binds.indices.map { inPlace[$0] ? binds[$0].bytes : nil }) { binaryPointers in
                let values = (0..<binds.count).map { binaryPointers[$0] ?? textPointers![$0] }
                return values.withUnsafeBufferPointer {
                    PQexecParams(handle, q.sql, Int32(binds.count), types, $0.baseAddress, lengths, formats, resultFormat)
                }
            }
        }
    }

    /// Copies a result's rows out of libpq.
    func rows(of result: OpaquePointer) -> [Row] {
        let rowCount = Int(PQntuples(result))
        let columnCount = Int(PQnfields(result))
        let columns = Columns((0..<columnCount).map { String(cString: PQfname(result, Int32($0))) })
        var rows: [Row] = []
        rows.reserveCapacity(rowCount)
        for r in 0..<Int32(rowCount) {
            var values: [[UInt8]?] = []
            values.reserveCapacity(columnCount)
            for c in 0..<Int32(columnCount) {
                if PQgetisnull(result, r, c) != 0 {
                    values.append(nil)
                } else {
                    let length = Int(PQgetlength(result, r, c))
                    let bytes = UnsafeRawPointer(PQgetvalue(result, r, c)!).assumingMemoryBound(to: UInt8.self)
                    values.append(Array(UnsafeBufferPointer(start: bytes, count: length)))
                }
            }
            rows.append(Row(columns: columns, values: values))
        }
        return rows
    }
}

/// Calls `body` with a pointer to each item's own bytes (nil entries stay nil), without copying:
/// each array is pinned by a nested `withUnsafeBufferPointer`. Items must not be empty (an
/// empty array may have no storage).
func withBinaryPointers<R>(_ items: [[UInt8]?], _ pointers: [UnsafePointer<CChar>?] = [],
                           _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    guard pointers.count < items.count else { return body(pointers) }
    guard let item = items[pointers.count] else { return withBinaryPointers(items, pointers + [nil], body) }
    return item.withUnsafeBufferPointer { raw in
        raw.withMemoryRebound(to: CChar.self) { withBinaryPointers(items, pointers + [$0.baseAddress], body) }
    }
}

/// Packs byte strings, each NUL-terminated, into one buffer and calls `body` with a C array
/// of pointers into it (nil entries stay nil: a NULL parameter, or the array's terminator).
func withCStrings<R>(_ items: [[UInt8]?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    var buffer: [UInt8] = [0]  // never empty, so the base address exists
    var offsets: [Int?] = []
    for item in items {
        if let item {
            offsets.append(buffer.count)
            buffer += item
            buffer.append(0)
        } else {
            offsets.append(nil)
        }
    }
    return buffer.withUnsafeBufferPointer { raw in
        let base = UnsafeRawPointer(raw.baseAddress!)
        let pointers = offsets.map { $0.map { (base + $0).assumingMemoryBound(to: CChar.self) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
    }
}
