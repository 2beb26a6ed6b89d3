// SSCard — CardImage

import CardAPDU
import CardCrypto
import CardStandards
import CardFileSystem
public import CardRuntime
public import FoundationEssentials

/// Converts card state to and from image JSON.
public enum CardImageCodec {
    public static let schemaVersion = 1

    // MARK: Encoding

    /// The image JSON of a state (pretty-printed, keys sorted).
    public static func encode(_ state: CardState) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let doc = document(state)
        // Encoding plain strings, numbers and booleans cannot fail.
        var data = try! encoder.encode(doc)
        data.append(0x0A)
        return data
    }

    package static func document(_ s: CardState) -> ImageDocument {
        let files = s.files
        func file(_ i: NodeIndex) -> FileDocument {
            let node = files[i]
            var d = FileDocument(label: node.label, type: node.isDF ? "DF" : "EF", fid: node.fid?.description)
            switch node.kind {
            case .df(let df):
                d.name = df.name.map { Hex.encode($0) }
                d.fci = df.fciProprietary.isEmpty ? nil : Hex.encode(df.fciProprietary)
                d.blocked = df.blocked ? true : nil
                d.blockedAnswer = df.blockedAnswer == .applicationBlocked ? nil : df.blockedAnswer.rawValue
                d.children = node.children.map(file)
            case .ef(let ef):
                d.sfi = ef.sfi.map { Int($0.rawValue) }
                d.strictLe = ef.strictLe ? true : nil
                d.access = Dictionary(uniqueKeysWithValues: FileOperation.allCases.map { ($0.rawValue, ef.access[$0].description) })
                switch ef.content {
                case .transparent(let t):
                    d.structure = "transparent"
                    d.data = Hex.encode(t.data)
                case .records(let r):
                    d.structure = r.structure.rawValue
                    d.recordSize = r.recordSize
                    d.maxRecords = r.maxRecords
                    d.tagRecords = r.identifiedByTag ? true : nil
                    d.records = r.records.map { Hex.encode($0) }
                }
            }
            return d
        }
        var pins: [String: PINDocument] = [:]
        for p in s.pins {
            pins[p.label] = PINDocument(
                df: files[p.df].label, reference: Hex.encode([p.reference]),
                value: String(p.digits.map { Character(String($0)) }), format: p.format.rawValue,
                limit: Int(p.counter.limit), remaining: Int(p.counter.remaining), policy: p.policy.rawValue,
                mustChange: p.mustChange, cardEnforcesChange: p.cardEnforcesChange, changeAllowed: p.changeAllowed,
                minLength: p.minLength, maxLength: p.maxLength,
                puk: p.puk.map {
                    PUKDocument(
                        value: String($0.digits.map { Character(String($0)) }), limit: Int($0.counter.limit),
                        remaining: Int($0.counter.remaining))
                })
        }
        var keys: [String: KeyDocument] = [:]
        for k in s.keys {
            keys[k.label] = KeyDocument(
                df: files[k.df].label, number: Hex.encode([k.number]), usage: k.usage.rawValue,
                algorithm: algorithmName(k.algorithm), value: Hex.encode(k.value), version: Int(k.version),
                limit: Int(k.counter.limit), remaining: Int(k.counter.remaining))
        }
        return ImageDocument(
            schemaVersion: schemaVersion, profile: s.profile, atr: Hex.encode(s.atr.bytes),
            answerMode: s.answerMode.rawValue, cardBlocked: s.cardBlocked,
            getResponseWithoutData: s.getResponseWithoutData == .conditionsNotSatisfied
                ? nil : s.getResponseWithoutData.description,
            mf: file(FileSystem.mf), pins: pins, keys: keys.isEmpty ? nil : keys)
    }

    static func algorithmName(_ a: SocialSecurityAlgorithm) -> String {
        switch a {
        case .des: "des"
        case .ssf33: "ssf33"
        case .sm4: "sm4"
        }
    }

    static func key(_ d: KeyDocument, label: String, files: FileSystem) throws(CardImageError) -> CardKey {
        let path = "keys.\(label)"
        guard let df = files.index(ofLabel: d.df), files[df].isDF else {
            throw CardImageError(field: path + ".df", "no DF labelled \"\(d.df)\"")
        }
        guard let n = try? Hex.decode(d.number), n.count == 1 else {
            throw CardImageError(field: path + ".number", "must be one byte in hex, e.g. 04 or 0A")
        }
        guard let usage = KeyUsage(rawValue: d.usage) else {
            throw CardImageError(
                field: path + ".usage", "must be one of \(KeyUsage.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let algorithm = SocialSecurityAlgorithm.allCases.first(where: { algorithmName($0) == d.algorithm }),
            algorithm != .ssf33
        else {
            throw CardImageError(field: path + ".algorithm", "must be des or sm4")
        }
        guard let value = try? Hex.decode(d.value), value.count == 16 else {
            throw CardImageError(field: path + ".value", "must be 16 bytes in hex")
        }
        let limit = d.limit ?? 3
        guard (1...15).contains(limit) else { throw CardImageError(field: path + ".limit", "must be 1…15") }
        let remaining = d.remaining ?? limit
        guard (0...limit).contains(remaining) else {
            throw CardImageError(field: path + ".remaining", "must be 0…\(limit) (the limit)")
        }
        let version = d.version ?? 1
        guard (0...255).contains(version) else { throw CardImageError(field: path + ".version", "must be 0…255") }
        return CardKey(
            label: label, df: df, number: n[0], usage: usage, algorithm: algorithm, value: value,
            version: UInt8(version), counter: PINCounter(limit: UInt8(limit), remaining: UInt8(remaining)))
    }

    // MARK: Decoding

    /// Reads and validates image JSON.
    /// - Throws: ``CardImageError`` naming the bad field.
    public static func decode(_ data: Data, file: String? = nil) throws(CardImageError) -> CardState {
        let doc: ImageDocument
        do {
            doc = try JSONDecoder().decode(ImageDocument.self, from: data)
        } catch let error as DecodingError {
            throw describe(error, file: file)
        } catch {
            throw CardImageError(.malformed, file: file, field: "", "not a card image: \(error)")
        }
        do {
            return try state(doc)
        } catch {
            var e = error
            e.file = file
            throw e
        }
    }

    package static func describe(_ error: DecodingError, file: String?) -> CardImageError {
        func path(_ keys: [any CodingKey]) -> String {
            var out = ""
            for k in keys {
                if let i = k.intValue {
                    out += "[\(i)]"
                } else {
                    out += (out.isEmpty ? "" : ".") + k.stringValue
                }
            }
            return out
        }
        switch error {
        case .keyNotFound(let key, let ctx):
            let base = path(ctx.codingPath)
            return CardImageError(.missingValue, file: file, field: base.isEmpty ? key.stringValue : base + "." + key.stringValue, "missing")
        case .typeMismatch(let type, let ctx):
            return CardImageError(file: file, field: path(ctx.codingPath), "must be \(typeName(type))")
        case .valueNotFound(let type, let ctx):
            return CardImageError(file: file, field: path(ctx.codingPath), "must be \(typeName(type)), not null")
        case .dataCorrupted(let ctx):
            let underlying = (ctx.underlyingError as? CocoaError)?.userInfo["NSDebugDescription"] as? String
            return CardImageError(
                ctx.codingPath.isEmpty ? .malformed : .invalidValue, file: file, field: path(ctx.codingPath),
                ctx.codingPath.isEmpty ? "not valid JSON\(underlying.map { ": \($0)" } ?? "")" : ctx.debugDescription)
        @unknown default:
            return CardImageError(.malformed, file: file, field: "", "\(error)")
        }
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type: "an integer"
        case is Bool.Type: "true or false"
        default: "\(type)".lowercased().hasPrefix("array") ? "a list" : "an object"
        }
    }

    /// Checked conversion of a document into state.
    package static func state(_ doc: ImageDocument) throws(CardImageError) -> CardState {
        guard doc.schemaVersion == schemaVersion else {
            throw CardImageError(.unsupportedSchema, field: "schemaVersion", "must be \(schemaVersion), found \(doc.schemaVersion)")
        }
        guard let atrBytes = try? Hex.decode(doc.atr), let atr = ATR(bytes: atrBytes) else {
            throw CardImageError(field: "atr", "not a well-formed ATR (TS, interface bytes, historical bytes, TCK)")
        }
        guard let mode = AnswerMode(rawValue: doc.answerMode) else {
            throw CardImageError(field: "answerMode", "must be one of \(AnswerMode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var getResponseSW = StatusWord.conditionsNotSatisfied
        if let text = doc.getResponseWithoutData {
            guard let b = try? Hex.decode(text), b.count == 2 else {
                throw CardImageError(field: "getResponseWithoutData", "must be a status word like 6985")
            }
            getResponseSW = StatusWord(sw1: b[0], sw2: b[1])
        }
        var files = FileSystem(mf: try dedicated(doc.mf, path: "mf"), label: doc.mf.label)
        guard doc.mf.type == "DF" else { throw CardImageError(field: "mf.type", "the MF must be a DF") }
        var labels: Set<String> = [doc.mf.label]
        try addChildren(doc.mf, at: FileSystem.mf, path: "mf", into: &files, labels: &labels)
        var pins: [PINObject] = []
        for label in doc.pins.keys.sorted() {
            pins.append(try pin(doc.pins[label]!, label: label, files: files))
        }
        for (i, a) in pins.enumerated() {
            for b in pins[(i + 1)...] where a.df == b.df && a.reference == b.reference {
                throw CardImageError(field: "pins.\(b.label).reference", "already used by pins.\(a.label) in the same DF")
            }
        }
        var keys: [CardKey] = []
        for label in (doc.keys ?? [:]).keys.sorted() {
            keys.append(try key(doc.keys![label]!, label: label, files: files))
        }
        return CardState(
            profile: doc.profile, atr: atr, answerMode: mode, files: files, pins: pins, keys: keys,
            cardBlocked: doc.cardBlocked ?? false, getResponseWithoutData: getResponseSW)
    }

    static func hex(_ text: String?, _ field: String) throws(CardImageError) -> [UInt8]? {
        guard let text else { return nil }
        do {
            return try Hex.decode(text)
        } catch {
            throw CardImageError(field: field, "not hex: \(error.reason)")
        }
    }

    /// A named option, one of `E`'s cases; `nil` when absent.
    package static func choice<E: RawRepresentable<String> & CaseIterable>(
        _ text: String?, _ field: String, file: String? = nil
    ) throws(CardImageError) -> E? {
        guard let text else { return nil }
        guard let value = E(rawValue: text) else {
            let names = E.allCases.map(\.rawValue)
            throw CardImageError(file: file, field: field, "must be \(names.dropLast().joined(separator: ", ")) or \(names.last!)")
        }
        return value
    }

    static func fileID(_ text: String?, _ field: String) throws(CardImageError) -> FileID? {
        guard let bytes = try hex(text, field) else { return nil }
        guard bytes.count == 2 else { throw CardImageError(field: field, "a file identifier is 2 bytes") }
        guard let fid = FileID(bytes[0], bytes[1]) else {
            throw CardImageError(field: field, "\(text!) is reserved (3FFF and FFFF are not file identifiers)")
        }
        return fid
    }

    static func dedicated(_ d: FileDocument, path: String) throws(CardImageError) -> DedicatedFile {
        let name = try hex(d.name, path + ".name")
        if let name, !(1...16).contains(name.count) {
            throw CardImageError(field: path + ".name", "a DF name is 1…16 bytes")
        }
        let answer = try choice(d.blockedAnswer, path + ".blockedAnswer") ?? BlockedSelectAnswer.applicationBlocked
        return DedicatedFile(
            fid: try fileID(d.fid, path + ".fid"), name: name, fciProprietary: try hex(d.fci, path + ".fci") ?? [],
            blocked: d.blocked ?? false, blockedAnswer: answer)
    }

    static func addChildren(
        _ d: FileDocument, at parent: NodeIndex, path: String, into files: inout FileSystem, labels: inout Set<String>
    ) throws(CardImageError) {
        var fids: Set<FileID> = []
        var sfis: Set<UInt8> = []
        for (i, child) in (d.children ?? []).enumerated() {
            let p = "\(path).children[\(i)]"
            guard labels.insert(child.label).inserted else {
                throw CardImageError(field: p + ".label", "\"\(child.label)\" is used twice")
            }
            let kind: FileKind
            switch child.type {
            case "DF":
                kind = .df(try dedicated(child, path: p))
            case "EF":
                let ef = try elementary(child, path: p)
                if let sfi = ef.sfi, !sfis.insert(sfi.rawValue).inserted {
                    throw CardImageError(field: p + ".sfi", "SFI \(sfi) is used twice in \(path)")
                }
                kind = .ef(ef)
            default:
                throw CardImageError(field: p + ".type", "must be DF or EF")
            }
            let fid: FileID? =
                switch kind {
                case .df(let df): df.fid
                case .ef(let ef): ef.fid
                }
            if let fid, !fids.insert(fid).inserted {
                throw CardImageError(field: p + ".fid", "\(fid) is used twice in \(path)")
            }
            let index = files.add(kind, label: child.label, under: parent)
            if child.type == "DF" {
                try addChildren(child, at: index, path: p, into: &files, labels: &labels)
            } else if child.children != nil {
                throw CardImageError(field: p + ".children", "an EF has no children")
            }
        }
    }

    static func elementary(_ d: FileDocument, path: String) throws(CardImageError) -> ElementaryFile {
        var sfi: SFI? = nil
        if let n = d.sfi {
            guard let s = SFI(rawValue: UInt8(clamping: n)), n == Int(s.rawValue) else {
                throw CardImageError(field: path + ".sfi", "must be 1…30")
            }
            sfi = s
        }
        var rules = AccessRules()
        for (op, text) in d.access ?? [:] {
            guard let operation = FileOperation(rawValue: op) else {
                throw CardImageError(field: "\(path).access.\(op)", "unknown operation (read, update, append)")
            }
            guard let rule = AccessRule(text) else {
                throw CardImageError(
                    field: "\(path).access.\(op)", "\"\(text)\" is not a rule (always, never, pin:01, key:0A, pin:01|key:0A, pin:01+key:0A)")
            }
            rules[operation] = rule
        }
        if d.access?["append"] == nil { rules.append = rules.update }
        let content: EFContent
        switch d.structure {
        case "transparent":
            guard let data = try hex(d.data, path + ".data") else { throw CardImageError(.missingValue, field: path + ".data", "missing") }
            content = .transparent(TransparentFile(data: data))
        case let s?:
            guard let structure = RecordStructure(rawValue: s) else {
                throw CardImageError(field: path + ".structure", "must be transparent, linearFixed, linearVariable or cyclic")
            }
            guard let max = d.maxRecords, (1...254).contains(max) else {
                throw CardImageError(field: path + ".maxRecords", "must be 1…254")
            }
            if structure != .linearVariable {
                guard let size = d.recordSize, (1...255).contains(size) else {
                    throw CardImageError(field: path + ".recordSize", "must be 1…255 for \(s) files")
                }
            }
            var file = RecordFile(
                structure: structure, recordSize: structure == .linearVariable ? nil : d.recordSize, maxRecords: max,
                identifiedByTag: d.tagRecords ?? false)
            let texts = d.records ?? []
            guard texts.count <= max else {
                throw CardImageError(field: path + ".records", "\(texts.count) records but maxRecords is \(max)")
            }
            for (i, text) in texts.enumerated() {
                let record = try hex(text, "\(path).records[\(i)]")!
                do {
                    try file.validate(record)
                } catch {
                    throw CardImageError(field: "\(path).records[\(i)]", "does not fit the file: \(error.status.meaning)")
                }
                file.records.append(record)
            }
            content = .records(file)
        case nil:
            throw CardImageError(.missingValue, field: path + ".structure", "missing")
        }
        return ElementaryFile(
            fid: try fileID(d.fid, path + ".fid"), sfi: sfi, content: content, access: rules, strictLe: d.strictLe ?? false)
    }

    static func digits(_ text: String, _ field: String) throws(CardImageError) -> [UInt8] {
        var out: [UInt8] = []
        for c in text.unicodeScalars {
            guard ("0"..."9").contains(c) else { throw CardImageError(field: field, "must be decimal digits") }
            out.append(UInt8(c.value - 0x30))
        }
        return out
    }

    static func pin(_ d: PINDocument, label: String, files: FileSystem) throws(CardImageError) -> PINObject {
        let path = "pins.\(label)"
        guard let df = files.index(ofLabel: d.df), files[df].isDF else {
            throw CardImageError(field: path + ".df", "no DF labelled \"\(d.df)\"")
        }
        guard let refBytes = try? Hex.decode(d.reference), refBytes.count == 1 else {
            throw CardImageError(field: path + ".reference", "must be one byte in hex, e.g. 00 or 81")
        }
        guard (1...15).contains(d.limit) else { throw CardImageError(field: path + ".limit", "must be 1…15") }
        let remaining = d.remaining ?? d.limit
        guard (0...d.limit).contains(remaining) else {
            throw CardImageError(field: path + ".remaining", "must be 0…\(d.limit) (the limit)")
        }
        let format = try choice(d.format, path + ".format") ?? PINFormat.bcd
        let policy = try choice(d.policy, path + ".policy") ?? PINPolicy.consecutive
        let minLength = d.minLength ?? 4
        let maxLength = d.maxLength ?? (format == .isoFormat2 ? 12 : 16)
        guard (1...16).contains(minLength), (minLength...16).contains(maxLength) else {
            throw CardImageError(field: path + ".minLength", "lengths must satisfy 1 ≤ minLength ≤ maxLength ≤ 16")
        }
        let value = try digits(d.value, path + ".value")
        if !value.isEmpty, !(minLength...maxLength).contains(value.count) {
            throw CardImageError(field: path + ".value", "must have \(minLength)…\(maxLength) digits")
        }
        var puk: PUK? = nil
        if let p = d.puk {
            guard (1...15).contains(p.limit) else { throw CardImageError(field: path + ".puk.limit", "must be 1…15") }
            let r = p.remaining ?? p.limit
            guard (0...p.limit).contains(r) else {
                throw CardImageError(field: path + ".puk.remaining", "must be 0…\(p.limit) (the limit)")
            }
            let v = try digits(p.value, path + ".puk.value")
            guard !v.isEmpty, v.count <= 16 else { throw CardImageError(field: path + ".puk.value", "must have 1…16 digits") }
            puk = PUK(digits: v, counter: PINCounter(limit: UInt8(p.limit), remaining: UInt8(r)))
        }
        return PINObject(
            label: label, df: df, reference: refBytes[0], digits: value, format: format,
            counter: PINCounter(limit: UInt8(d.limit), remaining: UInt8(remaining)), policy: policy,
            mustChange: d.mustChange ?? false, cardEnforcesChange: d.cardEnforcesChange ?? false,
            changeAllowed: d.changeAllowed ?? true, minLength: minLength, maxLength: maxLength, puk: puk)
    }
}
