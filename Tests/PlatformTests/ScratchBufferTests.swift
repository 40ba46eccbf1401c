import Platform
import Testing

@Suite("ScratchBuffer")
struct ScratchBufferTests {
    @Test("A thread's buffer is reused and grows; a nested request gets its own")
    func reusedAndNested() {
        let first = ScratchBuffer.withFloats(64) { UInt(bitPattern: $0) }
        let again = ScratchBuffer.withFloats(32) { UInt(bitPattern: $0) }
        #expect(first == again, "a smaller request reuses the thread's buffer")
        ScratchBuffer.withFloats(1 << 16) { outer in
            outer[(1 << 16) - 1] = 7  // grown: the whole request is usable
            ScratchBuffer.withFloats(16) { inner in
                #expect(inner != outer, "a nested request must not share the lent buffer")
                inner[0] = 1
            }
            #expect(outer[(1 << 16) - 1] == 7)
        }
    }
}
