import CardFuzzing
import Foundation
import TestSupport
import Testing

/// Replays the committed fuzz corpora through the fuzz targets: every
/// input that once found a crash, and the seeds, must pass every check.
@Suite struct CorpusTests {
    static let root = repositoryRoot + "/Fuzz/corpus"

    @Test(arguments: FuzzTargets.all.map(\.name))
    func corpusPasses(_ name: String) throws {
        let dir = Self.root + "/" + name
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { !$0.hasPrefix(".") }.sorted()
        #expect(!files.isEmpty, "Fuzz/corpus/\(name) has no inputs")
        let run = try #require(FuzzTargets.named(name))
        for file in files {
            let bytes = try #require(FileManager.default.contents(atPath: dir + "/" + file), "\(file)")
            run(Array(bytes))
        }
    }

    @Test func everyCorpusFolderHasATarget() throws {
        let folders = try FileManager.default.contentsOfDirectory(atPath: Self.root).filter { !$0.hasPrefix(".") }.sorted()
        #expect(folders == FuzzTargets.all.map(\.name).sorted())
    }
}
