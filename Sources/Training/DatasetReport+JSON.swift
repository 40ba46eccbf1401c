import JSON

extension DatasetReport {
    /// A valid file's report as the file row keeps it (`file.report`), so that a job's
    /// validation reads it instead of checking every line again.
    public var json: JSONValue {
        var counts = JSONObject(), lines = JSONObject()
        for label in labels {
            counts[label] = .int(Int64(labelCounts[label] ?? 0))
            lines[label] = .int(Int64(firstLines[label] ?? 0))
        }
        return ["shape": shape.map { .string($0.rawValue) } ?? .null, "examples": .int(Int64(exampleCount)),
                "label_counts": .object(counts), "first_lines": .object(lines)]
    }

    /// The report `json` wrote; nil when it is not one.
    public init?(json: JSONValue) {
        guard let examples = json["examples"]?.int, let counts = json["label_counts"]?.object, let lines = json["first_lines"]?.object else { return nil }
        self.init()
        shape = json["shape"]?.string.flatMap(RecordShape.init(rawValue:))
        exampleCount = examples
        for (label, count) in counts { labelCounts[label] = count.int ?? 0 }
        for (label, line) in lines { firstLines[label] = line.int ?? 0 }
    }
}
