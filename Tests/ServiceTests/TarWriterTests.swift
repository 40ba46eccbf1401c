import Glibc
import Platform
@testable import Service
import Testing

@Suite("Tar export")
struct TarWriterTests {
    @Test("GNU tar lists and extracts what the writer wrote")
    func readableByTar() throws {
        var archive: [UInt8] = []
        let writer = TarWriter(write: { archive += $0 }, modificationTime: 1_795_000_000)
        let weights = (0..<1000).map { UInt8($0 % 251) }
        try writer.file("model/config.json", Array(#"{"architectures":["BertForSequenceClassification"]}"#.utf8))
        let streamed = StreamedFile(name: "model.safetensors", size: weights.count) { sink in
            try weights.withUnsafeBytes { raw in
                try sink(UnsafeRawBufferPointer(rebasing: raw[0..<300]))
                try sink(UnsafeRawBufferPointer(rebasing: raw[300...]))
            }
        }
        try writer.file("model/model.safetensors", streamed)
        try writer.file("model/empty.txt", [])
        try writer.finish()
        #expect(archive.count % 512 == 0)

        var template = Array("/tmp/anneal-tar-XXXXXX".utf8CString)
        let folder = String(cString: mkdtemp(&template)!)
        defer { _ = system("rm -rf '\(folder)'") }
        let file = fopen(folder + "/out.tar", "w")!
        _ = archive.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        fclose(file)
        #expect(system("cd '\(folder)' && tar -xf out.tar 2>/dev/null") == 0)
        let extracted = fopen(folder + "/model/model.safetensors", "r")
        #expect(extracted != nil)
        var back = [UInt8](repeating: 0, count: 2000)
        let n = fread(&back, 1, 2000, extracted)
        fclose(extracted)
        #expect(Array(back[0..<n]) == weights)
    }
}
