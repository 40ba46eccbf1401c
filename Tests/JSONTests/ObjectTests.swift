import JSON
import Testing

struct ObjectTests {
    @Test func keepsInsertionOrder() throws {
        let value = try JSONValue(parsing: #"{"b":1,"a":2,"c":3}"#)
        #expect(value.object?.keys == ["b", "a", "c"])
        #expect(value.encoded() == #"{"b":1,"a":2,"c":3}"#)
        #expect(value.object?.map(\.key) == ["b", "a", "c"])
        #expect(value.object?.map(\.value) == [1, 2, 3])
    }

    @Test func duplicateKeysLastWinsAtFirstPosition() throws {
        let value = try JSONValue(parsing: #"{"a":1,"b":2,"a":3}"#)
        #expect(value.object?.keys == ["a", "b"])
        #expect(value["a"] == .int(3))
        #expect(value.encoded() == #"{"a":3,"b":2}"#)
        let literal: JSONObject = ["x": 1, "y": 2, "x": 3]
        #expect(literal.keys == ["x", "y"] && literal["x"] == .int(3))
    }

    @Test func subscriptSetAndRemove() {
        var object = JSONObject()
        #expect(object.isEmpty)
        object["a"] = 1
        object["b"] = "two"
        object["a"] = [true]
        #expect(object.keys == ["a", "b"])
        #expect(object["a"] == [true])
        object["a"] = nil
        #expect(object.keys == ["b"])
        #expect(object.count == 1)
        #expect(object["a"] == nil)
        object["missing"] = nil
        #expect(object.count == 1)
    }

    /// Enough keys to switch to the hashed index, then removals that shift positions.
    @Test func largeObjectLookupAfterRemovals() {
        var object = JSONObject()
        for index in 0..<100 { object["k\(index)"] = .int(Int64(index)) }
        for index in stride(from: 0, to: 100, by: 3) { object["k\(index)"] = nil }
        #expect(object.count == 66)
        for index in 0..<100 {
            #expect(object["k\(index)"] == (index % 3 == 0 ? nil : .int(Int64(index))))
        }
        object["k50"] = "changed"
        #expect(object.keys.firstIndex(of: "k50") == 33)
        for index in 0..<5 { object["k\(index * 3 + 1)"] = nil }
        #expect(object.count == 61)
        #expect(object["k16"] == .int(16))
        #expect(object.keys.first == "k2")
    }

    @Test func equalityIgnoresOrderAndHashAgrees() throws {
        let a = try JSONValue(parsing: #"{"x":1,"y":[1,2]}"#)
        let b = try JSONValue(parsing: #"{"y":[1,2],"x":1}"#)
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(Set([a, b]).count == 1)
        #expect(a != (try JSONValue(parsing: #"{"x":1,"y":[2,1]}"#)))
        #expect(a != (try JSONValue(parsing: #"{"x":1}"#)))
        #expect(JSONValue.int(1) != JSONValue.double(1))
    }

    @Test func accessorsAndTypeNames() throws {
        let value = try JSONValue(parsing: #"{"s":"x","i":1,"d":1.5,"b":false,"n":null,"a":[1],"o":{}}"#)
        #expect(value["s"]?.string == "x")
        #expect(value["i"]?.int == 1)
        #expect(value["d"]?.double == 1.5)
        #expect(value["b"]?.bool == false)
        #expect(value["n"]?.isNull == true)
        #expect(value["a"]?.array == [1])
        #expect(value["o"]?.object == JSONObject())
        #expect(value["missing"] == nil)
        #expect(value["a"]?[0] == .int(1))
        #expect(value["a"]?[1] == nil)
        #expect(value["a"]?[-1] == nil)
        #expect(value[0] == nil)
        #expect(value["s"]?["s"] == nil)
        #expect(value["s"]?.int == nil)
        let names = ["s", "i", "d", "b", "n", "a", "o"].compactMap { value[$0]?.typeName }
        #expect(names == ["string", "integer", "number", "boolean", "null", "array", "object"])
    }

    @Test func literals() {
        let name = "world"
        let value: JSONValue = ["n": nil, "t": true, "i": 3, "f": 2.5, "s": "hello \(name)", "a": [1, "x"]]
        #expect(value["n"] == .null)
        #expect(value["t"] == .bool(true))
        #expect(value["i"] == .int(3))
        #expect(value["f"] == .double(2.5))
        #expect(value["s"] == .string("hello world"))
        #expect(value["a"] == .array([.int(1), .string("x")]))
    }
}
