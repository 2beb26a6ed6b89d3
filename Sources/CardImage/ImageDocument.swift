// SSCard — CardImage
//
// The on-disk form of a card: JSON, human-readable, keys sorted, with a
// schema version. Documents are plain Codable mirrors; `CardImageCodec`
// turns them into `CardState` and back, naming the field of any bad value.

import FoundationEssentials

/// Schema version 1 of a card image.
package struct ImageDocument: Codable {
    var schemaVersion: Int
    var profile: String
    var atr: String
    var answerMode: String
    var cardBlocked: Bool?
    var getResponseWithoutData: String?
    var mf: FileDocument
    package var pins: [String: PINDocument]
    var keys: [String: KeyDocument]?
}

package struct KeyDocument: Codable {
    var df: String
    var number: String
    var usage: String
    var algorithm: String
    var value: String
    var version: Int?
    var limit: Int?
    var remaining: Int?
}

package struct FileDocument: Codable {
    var label: String
    var type: String
    var fid: String?
    // DF
    var name: String?
    var fci: String?
    var blocked: Bool?
    var blockedAnswer: String?
    var children: [FileDocument]?
    // EF
    var sfi: Int?
    var structure: String?
    var recordSize: Int?
    var maxRecords: Int?
    var tagRecords: Bool?
    var strictLe: Bool?
    var access: [String: String]?
    var data: String?
    var records: [String]?
}

package struct PINDocument: Codable {
    var df: String
    var reference: String
    package var value: String
    var format: String?
    package var limit: Int
    package var remaining: Int?
    package var policy: String?
    package var mustChange: Bool?
    package var cardEnforcesChange: Bool?
    package var changeAllowed: Bool?
    var minLength: Int?
    var maxLength: Int?
    var puk: PUKDocument?
}

package struct PUKDocument: Codable {
    var value: String
    var limit: Int
    var remaining: Int?
}
