import CardAPDU
import CardFileSystem
import Testing

@Suite struct IdentifierTests {
    @Test func fileIDsRejectReservedValues() {
        #expect(FileID(rawValue: 0x3FFF) == nil)
        #expect(FileID(rawValue: 0xFFFF) == nil)
        #expect(FileID(rawValue: 0xEF05)?.description == "EF05")
        #expect(FileID(0x00, 0x01)?.bytes == [0x00, 0x01])
    }

    @Test func sfiRange() {
        #expect(SFI(rawValue: 0) == nil)
        #expect(SFI(rawValue: 31) == nil)
        #expect(SFI(rawValue: 1) != nil && SFI(rawValue: 30) != nil)
    }

    @Test func aidLength() {
        #expect(AID([1, 2, 3, 4]) == nil)
        #expect(AID([UInt8](repeating: 0, count: 17)) == nil)
        #expect(AID([0xD1, 0x56, 0x00, 0x00, 0x05, 0x00])?.description == "D15600000500")
    }
}

@Suite struct AccessRuleTests {
    @Test(arguments: ["always", "never", "pin:01", "key:0A", "pin:01|key:0A", "pin:00+key:0D"])
    func textRoundTrips(_ text: String) {
        #expect(AccessRule(text)?.description == text)
    }

    @Test(arguments: ["", "pin", "pin:", "pin:123", "key:ZZ", "pin:01|pin:02", "sometimes"])
    func rejectsMalformedText(_ text: String) {
        #expect(AccessRule(text) == nil)
    }

    @Test func satisfaction() {
        var s = SecurityStatus()
        #expect(AccessRule.always.isSatisfied(by: s))
        #expect(!AccessRule.never.isSatisfied(by: s))
        #expect(!AccessRule.pin(1).isSatisfied(by: s))
        s.setPINVerified(1)
        #expect(AccessRule.pin(1).isSatisfied(by: s))
        #expect(AccessRule.pinOrKey(pin: 1, key: 0x0A).isSatisfied(by: s))
        #expect(!AccessRule.pinAndKey(pin: 1, key: 0x0A).isSatisfied(by: s))
        s.setKeyAuthenticated(0x0A)
        #expect(AccessRule.pinAndKey(pin: 1, key: 0x0A).isSatisfied(by: s))
        s.clear()
        #expect(s.isEmpty && !AccessRule.key(0x0A).isSatisfied(by: s))
    }
}

@Suite struct RecordTests {
    func tlvFile() -> RecordFile {
        RecordFile(
            structure: .linearVariable, maxRecords: 5,
            records: [[0x01, 0x01, 0xA1], [0x02, 0x01, 0xB1], [0x01, 0x01, 0xA2], [0x03, 0x00]],
            identifiedByTag: true)
    }

    @Test func byNumber() throws {
        let f = tlvFile()
        #expect(try f.record(number: 2) == [0x02, 0x01, 0xB1])
        #expect(throws: CardStatusError.recordNotFound) { try f.record(number: 5) }
        #expect(throws: CardStatusError.recordNotFound) { try f.record(number: 0) }
    }

    @Test func byIdentifierOccurrences() throws {
        let f = tlvFile()
        #expect(try f.find(identifier: 0x01, .first, pointer: 0) == 1)
        #expect(try f.find(identifier: 0x01, .last, pointer: 0) == 3)
        #expect(try f.find(identifier: 0x01, .next, pointer: 1) == 3)
        #expect(throws: CardStatusError.recordNotFound) { try f.find(identifier: 0x01, .next, pointer: 3) }
        #expect(try f.find(identifier: 0x01, .previous, pointer: 3) == 1)
        #expect(try f.find(identifier: 0x01, .previous, pointer: 0) == 3, "no pointer: previous starts from the end")
        #expect(throws: CardStatusError.recordNotFound) { try f.find(identifier: 0x09, .first, pointer: 0) }
    }

    @Test func updateChecksShapeAndAppendsMissingTags() throws {
        var f = tlvFile()
        #expect(throws: CardStatusError.lcInconsistentWithTLV) { try f.update(number: 1, with: [0x01, 0x05, 0x00]) }
        try f.update(number: 1, with: [0x01, 0x02, 0xAA, 0xBB])
        #expect(f.records[0] == [0x01, 0x02, 0xAA, 0xBB])
        try f.update(number: 9, with: [0x04, 0x00])
        #expect(f.records.count == 5 && f.records[4] == [0x04, 0x00])
        #expect(throws: CardStatusError.notEnoughMemory) { try f.append([0x05, 0x00]) }
    }

    @Test func fixedAndCyclic() throws {
        var fixed = RecordFile(structure: .linearFixed, recordSize: 2, maxRecords: 2, records: [[1, 1]])
        #expect(throws: CardStatusError.wrongLength) { try fixed.update(number: 1, with: [1, 2, 3]) }
        #expect(throws: CardStatusError.recordNotFound) { try fixed.update(number: 2, with: [1, 2]) }
        try fixed.append([2, 2])
        #expect(throws: CardStatusError.notEnoughMemory) { try fixed.append([3, 3]) }

        var ring = RecordFile(structure: .cyclic, recordSize: 1, maxRecords: 3)
        for b: UInt8 in 1...5 { try ring.append([b]) }
        #expect(ring.records == [[5], [4], [3]], "record 1 is the newest; the oldest are dropped")
    }
}

@Suite struct FileTreeTests {
    @Test func navigation() {
        var fs = FileSystem()
        let app = fs.add(.df(DedicatedFile(fid: FileID(rawValue: 0xDF01), name: [0xA0, 0, 0, 0, 1, 1])), label: "a", under: FileSystem.mf)
        let sub = fs.add(.df(DedicatedFile(fid: FileID(rawValue: 0xDF02))), label: "sub", under: app)
        let ef = fs.add(
            .ef(ElementaryFile(fid: FileID(rawValue: 0xEF01), sfi: SFI(rawValue: 3), content: .transparent(.init(data: [1])), access: .init())),
            label: "ef", under: sub)
        let other = fs.add(.df(DedicatedFile(fid: FileID(rawValue: 0xDF03), name: [0xA0, 0, 0, 0, 1, 2])), label: "b", under: FileSystem.mf)
        #expect(fs.child(of: app, fid: FileID(rawValue: 0xDF02)!) == sub)
        #expect(fs.ef(under: sub, sfi: 3) == ef)
        #expect(fs.application(of: ef) == app)
        #expect(fs.application(of: other) == other)
        #expect(fs.application(of: FileSystem.mf) == FileSystem.mf)
        #expect(fs.dfs(namedWithPrefix: [0xA0, 0, 0, 0, 1]) == [app, other])
        #expect(fs.isAncestor(app, of: ef) && !fs.isAncestor(other, of: ef))
        #expect(fs.index(ofLabel: "sub") == sub)
    }
}
