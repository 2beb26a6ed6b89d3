// SSCard — CardImage
//
// The `iso-test` card: a small tree that exercises every file structure,
// access rule and PIN policy of the card OS, before the applets exist.
//
//   MF 3F00
//   ├── EF 0001   transparent, 16 bytes, read always, update never
//   ├── DF 5000 "app1" named A0 00 00 99 99 01
//   │   ├── EF 0101 SFI 1  transparent, 64 bytes, read always, update PIN 01
//   │   ├── EF 0102 SFI 2  linear fixed 16 × 4, read PIN 01, update PIN 01
//   │   ├── EF 0103 SFI 3  linear variable, TLV records (record id = tag), read always, update PIN 01
//   │   ├── EF 0104 SFI 4  cyclic 8 × 5, read always, append PIN 01
//   │   ├── EF 0105 SFI 5  transparent, read key 0A (external authentication), update never
//   │   ├── EF 0106 SFI 6  linear variable, strict Le (6Cxx for Le 00), read PIN 02 or key 0A
//   │   └── PINs: 01 "user" (123456, 6 consecutive, PUK 12345678 × 10), 02 "query" (1234, 3 cumulative)
//   └── DF 6000 "app2" named A0 00 00 99 99 02
//       └── EF 0201 SFI 1  transparent, read PIN 01 (of app2: there is none, so never)

import CardAPDU
import CardFileSystem
import CardRuntime
import CardTLV

enum ISOTestCard {
    static let app1Name: [UInt8] = [0xA0, 0x00, 0x00, 0x99, 0x99, 0x01]
    static let app2Name: [UInt8] = [0xA0, 0x00, 0x00, 0x99, 0x99, 0x02]

    static func make(answerMode: AnswerMode) -> CardState {
        var fs = FileSystem()
        let mf = FileSystem.mf
        fs.add(
            .ef(ElementaryFile(
                fid: FileID(rawValue: 0x0001), content: .transparent(TransparentFile(data: Array(0x00..<0x10))),
                access: AccessRules(read: .always, update: .never))), label: "ef0001", under: mf)
        var a5 = TLVBuilder()
        a5.append(0x50, Array("ISO TEST 1".utf8))
        a5.append(0x88, [0x01])
        let app1 = fs.add(
            .df(DedicatedFile(fid: FileID(rawValue: 0x5000), name: app1Name, fciProprietary: a5.bytes)),
            label: "app1", under: mf)
        fs.add(
            .ef(ElementaryFile(
                fid: FileID(rawValue: 0x0101), sfi: SFI(rawValue: 1),
                content: .transparent(TransparentFile(data: Array("SSCARD ISO TEST CARD".utf8) + [UInt8](repeating: 0, count: 44))),
                access: AccessRules(read: .always, update: .pin(0x01)))), label: "ef0101", under: app1)
        fs.add(
            .ef(ElementaryFile(
                fid: FileID(rawValue: 0x0102), sfi: SFI(rawValue: 2),
                content: .records(RecordFile(
                    structure: .linearFixed, recordSize: 16, maxRecords: 4,
                    records: (1...3).map { n in [UInt8](repeating: UInt8(n), count: 16) })),
                access: AccessRules(read: .pin(0x01), update: .pin(0x01)))), label: "ef0102", under: app1)
        fs.add(
            .ef(ElementaryFile(
                fid: FileID(rawValue: 0x0103), sfi: SFI(rawValue: 3),
                content: .records(RecordFile(
                    structure: .linearVariable, maxRecords: 10,
                    records: [
                        [0x01, 0x04, 0x11, 0x22, 0x33, 0x44],
                        [0x02, 0x01, 0x33],
                        [0x01, 0x02, 0xAA, 0xBB],
                        [0x07, 0x09] + Array("A12345674".utf8),
                    ], identifiedByTag: true)),
                access: AccessRules(read: .always, update: .pin(0x01)))), label: "ef0103", under: app1)
        fs.add(
            .ef(ElementaryFile(
                fid: FileID(rawValue: 0x0104), sfi: SFI(rawValue: 4),
                content: .records(RecordFile(
                    structure: .cyclic, recordSize: 8, maxRecords: 5,
                    records: [[UInt8](repeating: 0xC2, count: 8), [UInt8](repeating: 0xC1, count: 8)])),
                access: AccessRules(read: .always, update: .never, append: .pin(0x01)))), label: "ef0104", under: app1)
        fs.add(
            .ef(ElementaryFile(
                fid: FileID(rawValue: 0x0105), sfi: SFI(rawValue: 5),
                content: .transparent(TransparentFile(data: [UInt8](repeating: 0x5E, count: 8))),
                access: AccessRules(read: .key(0x0A), update: .never))), label: "ef0105", under: app1)
        fs.add(
            .ef(ElementaryFile(
                fid: FileID(rawValue: 0x0106), sfi: SFI(rawValue: 6),
                content: .records(RecordFile(
                    structure: .linearVariable, maxRecords: 4,
                    records: [[0x08, 0x03, 0x31, 0x32, 0x33], Array(0x40..<0x5E)])),
                access: AccessRules(read: .pinOrKey(pin: 0x02, key: 0x0A), update: .never), strictLe: true)),
            label: "ef0106", under: app1)
        let app2 = fs.add(
            .df(DedicatedFile(fid: FileID(rawValue: 0x6000), name: app2Name)), label: "app2", under: mf)
        fs.add(
            .ef(ElementaryFile(
                fid: FileID(rawValue: 0x0201), sfi: SFI(rawValue: 1),
                content: .transparent(TransparentFile(data: Array("APP2".utf8))),
                access: AccessRules(read: .pin(0x01), update: .never))), label: "ef0201", under: app2)

        let pins = [
            PINObject(
                label: "user", df: app1, reference: 0x01, digits: [1, 2, 3, 4, 5, 6],
                counter: PINCounter(limit: 6), policy: .consecutive,
                puk: PUK(digits: [1, 2, 3, 4, 5, 6, 7, 8], counter: PINCounter(limit: 10))),
            PINObject(
                label: "query", df: app1, reference: 0x02, digits: [1, 2, 3, 4],
                counter: PINCounter(limit: 3), policy: .cumulative),
        ]
        // Historical bytes after the MOHRSS layout (ssc.md §1.7): chip 00 81,
        // COS 53 53 43 ("SSC"), maker 86 60, region 99 99 (test), serial.
        let atr = ATR(
            protocols: [.t0], historicalBytes: [0x00, 0x81, 0x53, 0x53, 0x43, 0x86, 0x60, 0x99, 0x99, 0x00, 0x00, 0x00, 0x01])
        // PINs in label order, the order an image lists them in.
        return CardState(
            profile: "iso-test", atr: atr, answerMode: answerMode, files: fs, pins: pins.sorted { $0.label < $1.label })
    }
}
