// SSCard — CardRuntime
//
// SELECT, READ/UPDATE BINARY, READ/UPDATE/APPEND RECORD (ISO/IEC 7816-4 §11.2,
// §11.3, §11.4; SSC part 5 §6.10–6.11 and table 32).

import CardAPDU
import CardFileSystem
import CardTLV

extension VirtualCard {
    // MARK: SELECT

    mutating func select(_ c: CommandAPDUView) throws(CardStatusError) -> CardAnswer {
        let p2 = c.p2
        guard p2 & 0xF0 == 0, p2 & 0x03 == 0 || p2 & 0x03 == 0x02 else { throw .incorrectP1P2 }
        let next = p2 & 0x03 == 0x02
        let files = state.files
        let data = c.data
        let target: NodeIndex
        switch c.p1 {
        case 0x00:
            if data.isEmpty || (data.count == 2 && data.first == 0x3F && data.last == 0x00) {
                target = FileSystem.mf
            } else {
                guard data.count == 2, let fid = FileID(data.first!, data.last!) else { throw .incorrectData }
                let here = session.currentDF
                if let i = files.child(of: here, fid: fid) {
                    target = i
                } else if let parent = files[here].parent, files[parent].fid == fid || files.child(of: parent, fid: fid) != nil {
                    target = files[parent].fid == fid ? parent : files.child(of: parent, fid: fid)!
                } else if let i = files.child(of: FileSystem.mf, fid: fid) {
                    target = i
                } else {
                    throw .fileNotFound
                }
            }
        case 0x01, 0x02:
            guard data.count == 2, let fid = FileID(data.first!, data.last!) else { throw .wrongLength }
            guard let i = files.child(of: session.currentDF, fid: fid), files[i].isDF == (c.p1 == 0x01) else {
                throw .fileNotFound
            }
            target = i
        case 0x03:
            guard data.isEmpty else { throw .wrongLength }
            guard let parent = files[session.currentDF].parent else { throw .fileNotFound }
            target = parent
        case 0x04:
            guard (1...16).contains(data.count) else { throw .wrongLength }
            let candidates = files.dfs(namedWithPrefix: Array(data))
            let here = session.currentDF
            if next, let at = candidates.firstIndex(of: here) {
                guard at + 1 < candidates.count else { throw .fileNotFound }
                target = candidates[at + 1]
            } else if let below = candidates.first(where: { $0 != here && files.isAncestor(here, of: $0) }) {
                // A name below the current DF first: a PSAM holds the same ADF
                // name in each of its environments.
                target = below
            } else {
                guard let first = candidates.first else { throw .fileNotFound }
                target = first
            }
        case 0x08, 0x09:
            guard !data.isEmpty, data.count % 2 == 0 else { throw .wrongLength }
            var at = c.p1 == 0x08 ? FileSystem.mf : session.currentDF
            var i = data.startIndex
            while i < data.endIndex {
                guard let fid = FileID(data[i], data[i + 1]) else { throw .incorrectData }
                if !(c.p1 == 0x08 && i == data.startIndex && fid == .mf) {
                    guard files[at].isDF, let child = files.child(of: at, fid: fid) else { throw .fileNotFound }
                    at = child
                }
                i += 2
            }
            target = at
        default:
            throw .incorrectP1P2
        }
        return try makeCurrent(target, answer: p2 & 0x0C)
    }

    /// Makes a file current, switching application (and clearing the
    /// security state) when it lies in another one, and builds the answer:
    /// `00` FCI, `04` FCP, `08` FMD (answered as FCI), `0C` none.
    mutating func makeCurrent(_ target: NodeIndex, answer kind: UInt8) throws(CardStatusError) -> CardAnswer {
        let files = state.files
        let node = files[target]
        let application = files.application(of: target)
        if application != session.application {
            session.application = application
            session.security.clear()
            session.challenge = nil
        }
        // A new selection starts a new transaction for the applets.
        endAppletSessions(bySelect: true)
        if let df = node.df {
            session.currentDF = target
            session.currentEF = nil
            session.recordPointer = 0
            let fci = kind == 0x0C ? [] : (kind == 0x04 ? fcp(node) : Self.fci(df))
            if df.blocked {
                switch df.blockedAnswer {
                case .applicationBlocked: throw CardStatusError(.applicationBlocked)
                case .fciWithWarning: return CardAnswer(fci, .selectedFileDeactivated)
                }
            }
            return CardAnswer(fci)
        }
        session.currentDF = node.parent ?? FileSystem.mf
        session.currentEF = target
        session.recordPointer = 0
        // Selecting an EF answers no FCI (SSC part 5 §6.11.1); FCP on request.
        return CardAnswer(kind == 0x04 ? fcp(node) : [])
    }

    /// `6F { 84 name, A5 { proprietary } }`, or `6F { 83 FID }` for an unnamed DF.
    static func fci(_ df: DedicatedFile) -> [UInt8] {
        var b = TLVBuilder()
        b.appendConstructed(0x6F) { t in
            if let name = df.name {
                t.append(0x84, name)
            } else if let fid = df.fid {
                t.append(0x83, fid.bytes)
            }
            if !df.fciProprietary.isEmpty || df.name != nil {
                t.append(0xA5, df.fciProprietary)
            }
        }
        return b.bytes
    }

    /// The file control parameters template `62` (ISO/IEC 7816-4 §7.4.3).
    func fcp(_ node: FileNode) -> [UInt8] {
        var b = TLVBuilder()
        b.appendConstructed(0x62) { t in
            switch node.kind {
            case .df(let df):
                t.append(0x82, [0x38])
                if let fid = df.fid { t.append(0x83, fid.bytes) }
                if let name = df.name { t.append(0x84, name) }
                t.append(0x8A, [df.blocked ? 0x04 : 0x05])
            case .ef(let ef):
                switch ef.content {
                case .transparent(let f):
                    t.append(0x80, [UInt8(f.size >> 8 & 0xFF), UInt8(f.size & 0xFF)])
                    t.append(0x82, [0x01])
                case .records(let r):
                    let descriptor: UInt8 =
                        switch r.structure {
                        case .linearFixed: 0x02
                        case .linearVariable: 0x04
                        case .cyclic: 0x06
                        }
                    if let size = r.recordSize {
                        t.append(0x82, [descriptor, 0x21, 0x00, UInt8(size), UInt8(r.maxRecords)])
                    } else {
                        t.append(0x82, [descriptor, 0x21, 0x00, 0xFF, UInt8(min(r.maxRecords, 255))])
                    }
                }
                if let fid = ef.fid { t.append(0x83, fid.bytes) }
                if let sfi = ef.sfi { t.append(0x88, [sfi.rawValue << 3]) }
                t.append(0x8A, [0x05])
            }
        }
        return b.bytes
    }

    // MARK: EF access

    /// The EF a command addresses: by SFI (which makes it current) or the
    /// current EF, after the access rule for `operation` is checked.
    mutating func targetEF(sfi: UInt8, for operation: FileOperation) throws(CardStatusError) -> NodeIndex {
        let index: NodeIndex
        if sfi != 0 {
            guard let i = state.files.ef(under: session.currentDF, sfi: sfi) else { throw .fileNotFound }
            if session.currentEF != i {
                session.currentEF = i
                session.recordPointer = 0
            }
            index = i
        } else {
            guard let i = session.currentEF else { throw .noCurrentEF }
            index = i
        }
        guard let ef = state.files[index].ef else { throw .noCurrentEF }
        guard ef.access[operation].isSatisfied(by: session.security) else { throw .securityStatusNotSatisfied }
        return index
    }

    /// Applies the strict-Le rule of files that carry it.
    static func checkStrictLe(_ ef: ElementaryFile, _ c: CommandAPDUView, available: Int) throws(CardStatusError) {
        guard ef.strictLe else { return }
        let ne = c.ne ?? 256
        if ne != available { throw CardStatusError(.wrongLe(exact: min(available, 256))) }
    }

    // MARK: READ/UPDATE BINARY

    /// P1 b8 = 1: P1 b5–b1 is an SFI and P2 the offset; else P1 P2 is a 15-bit offset.
    static func binaryAddress(_ c: CommandAPDUView) throws(CardStatusError) -> (sfi: UInt8, offset: Int) {
        if c.p1 & 0x80 != 0 {
            guard c.p1 & 0x60 == 0 else { throw .incorrectP1P2 }
            return (c.p1 & 0x1F, Int(c.p2))
        }
        return (0, Int(c.p1) << 8 | Int(c.p2))
    }

    mutating func readBinary(_ c: CommandAPDUView) throws(CardStatusError) -> CardAnswer {
        guard c.nc == 0 else { throw .wrongLength }
        let (sfi, offset) = try Self.binaryAddress(c)
        let index = try targetEF(sfi: sfi, for: .read)
        let ef = state.files[index].ef!
        guard case .transparent(let file) = ef.content else { throw .incompatibleFileStructure }
        guard offset < file.size else { throw .wrongParameters }
        let available = file.size - offset
        try Self.checkStrictLe(ef, c, available: available)
        let ne = c.ne ?? 256
        let count = min(ne, available)
        let data = Array(file.data[offset..<offset + count])
        // An explicit Le past the end: the bytes there are, and a warning.
        if let explicit = c.ne, explicit > available, explicit != 256, explicit != 65536 {
            return CardAnswer(data, .endOfFileReached)
        }
        return CardAnswer(data)
    }

    mutating func updateBinary(_ c: CommandAPDUView) throws(CardStatusError) -> CardAnswer {
        guard c.nc > 0 else { throw .wrongLength }
        let (sfi, offset) = try Self.binaryAddress(c)
        let index = try targetEF(sfi: sfi, for: .update)
        guard case .transparent(let file) = state.files[index].ef!.content else { throw .incompatibleFileStructure }
        guard offset < file.size else { throw .wrongParameters }
        guard offset + c.nc <= file.size else { throw .wrongLength }
        let data = c.data
        try commit { (s: inout CardState) throws(CardStatusError) in
            try s.files.updateEF(index) { (ef: inout ElementaryFile) throws(CardStatusError) in
                guard case .transparent(var f) = ef.content else { throw .incompatibleFileStructure }
                f.data.replaceSubrange(offset..<offset + data.count, with: data)
                ef.content = .transparent(f)
            }
        }
        return .ok
    }

    // MARK: Records

    /// The record EF a record command addresses, and its body.
    mutating func recordFile(sfi: UInt8, for operation: FileOperation) throws(CardStatusError) -> (NodeIndex, ElementaryFile, RecordFile) {
        let index = try targetEF(sfi: sfi, for: operation)
        let ef = state.files[index].ef!
        guard case .records(let r) = ef.content else { throw .incompatibleFileStructure }
        return (index, ef, r)
    }

    mutating func readRecord(_ c: CommandAPDUView) throws(CardStatusError) -> CardAnswer {
        guard c.nc == 0 else { throw .wrongLength }
        let mode = c.p2 & 0x07
        guard mode != 0x07 else { throw .incorrectP1P2 }
        let (_, ef, file) = try recordFile(sfi: c.p2 >> 3, for: .read)
        let p1 = Int(c.p1)
        let data: [UInt8]
        switch mode {
        case 0x04:
            let number = p1 == 0 ? session.recordPointer : p1
            data = try file.record(number: number)
        case 0x05, 0x06:
            let from = p1 == 0 ? max(session.recordPointer, 1) : p1
            guard from <= file.records.count else { throw .recordNotFound }
            let range = from...file.records.count
            data = (mode == 0x05 ? Array(range) : range.reversed()).flatMap { file.records[$0 - 1] }
        default:
            let number = try file.find(
                identifier: c.p1, RecordOccurrence(rawValue: mode)!, pointer: session.recordPointer)
            session.recordPointer = number
            data = file.records[number - 1]
        }
        if data.isEmpty { throw .recordNotFound }
        try Self.checkStrictLe(ef, c, available: data.count)
        return CardAnswer(data)
    }

    mutating func updateRecord(_ c: CommandAPDUView) throws(CardStatusError) -> CardAnswer {
        guard c.nc > 0 else { throw .wrongLength }
        let mode = c.p2 & 0x07
        guard mode <= 0x04 else { throw .incorrectP1P2 }
        let (index, _, file) = try recordFile(sfi: c.p2 >> 3, for: .update)
        let data = Array(c.data)
        if file.identifiedByTag, mode != 0x04, data.first != c.p1 { throw .lcInconsistentWithTLV }
        let number: Int
        if mode == 0x04 {
            number = c.p1 == 0 ? session.recordPointer : Int(c.p1)
            if number == 0 { throw .recordNotFound }
        } else {
            // A missing identifier appends (SSC part 5 table 44).
            let found = try? file.find(
                identifier: c.p1, RecordOccurrence(rawValue: mode)!, pointer: session.recordPointer)
            number = found ?? file.records.count + 1
            if found == nil && !file.identifiedByTag { throw .recordNotFound }
        }
        try commit { (s: inout CardState) throws(CardStatusError) in
            try s.files.updateEF(index) { (ef: inout ElementaryFile) throws(CardStatusError) in
                guard case .records(var r) = ef.content else { throw .incompatibleFileStructure }
                try r.update(number: number, with: data)
                ef.content = .records(r)
            }
        }
        if mode != 0x04 { session.recordPointer = min(number, file.records.count + 1) }
        return .ok
    }

    mutating func appendRecord(_ c: CommandAPDUView) throws(CardStatusError) -> CardAnswer {
        guard c.nc > 0 else { throw .wrongLength }
        guard c.p1 == 0, c.p2 & 0x07 == 0 else { throw .incorrectP1P2 }
        let (index, _, _) = try recordFile(sfi: c.p2 >> 3, for: .append)
        let data = Array(c.data)
        var appendedAt = 0
        try commit { (s: inout CardState) throws(CardStatusError) in
            try s.files.updateEF(index) { (ef: inout ElementaryFile) throws(CardStatusError) in
                guard case .records(var r) = ef.content else { throw .incompatibleFileStructure }
                try r.append(data)
                appendedAt = r.structure == .cyclic ? 1 : r.records.count
                ef.content = .records(r)
            }
        }
        session.recordPointer = appendedAt
        return .ok
    }
}
