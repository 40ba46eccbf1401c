import Service

/// A subcommand's own flags (`--model NAME`, `--model=NAME`, `--special`), taken out of its
/// arguments; the rest are the service's settings (`Configuration.load`). The one flag parser
/// of the binary.
struct Flags {
    private(set) var values: [String: String] = [:]
    private(set) var switches: Set<String> = []
    /// Arguments that are not the subcommand's, in order.
    private(set) var rest: [String] = []

    /// `valued`: flags that take a value; `switches`: flags that take none.
    init(_ arguments: [String], valued: Set<String> = [], switches known: Set<String> = []) throws(ConfigurationError) {
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            var name = argument.hasPrefix("--") ? String(argument.dropFirst(2)) : ""
            var inline: String?
            if let equals = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            if valued.contains(name) {
                if let inline {
                    values[name] = inline
                } else {
                    guard index + 1 < arguments.count else { throw ConfigurationError("--\(name) needs a value") }
                    index += 1
                    values[name] = arguments[index]
                }
            } else if known.contains(name) {
                guard inline == nil else { throw ConfigurationError("--\(name) takes no value") }
                switches.insert(name)
            } else {
                rest.append(argument)
            }
            index += 1
        }
    }

    subscript(_ name: String) -> String? { values[name] }
    func has(_ name: String) -> Bool { switches.contains(name) }
}
