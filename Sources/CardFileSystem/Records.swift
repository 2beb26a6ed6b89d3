// SSCard — CardFileSystem
//
// Record addressing (ISO/IEC 7816-4 §7.3.2–7.3.5; SSC part 5 table 32):
// by number, or by identifier (first, last, next, previous occurrence)
// relative to a record pointer that identifier addressing moves.

public import CardAPDU

/// Which occurrence of a record identifier to find.
public enum RecordOccurrence: UInt8, Hashable, Sendable {
    case first = 0, last = 1, next = 2, previous = 3
}

extension RecordFile {
    /// Record `number` (1-based).
    /// - Throws: `6A83` when there is no such record.
    @inlinable
    public func record(number: Int) throws(CardStatusError) -> [UInt8] {
        guard number >= 1, number <= records.count else { throw .recordNotFound }
        return records[number - 1]
    }

    /// The 1-based number of the record with identifier `id`.
    /// - Parameters:
    ///   - pointer: the current record number (0 for none), for next/previous.
    /// - Throws: `6A83` when no record matches.
    public func find(identifier id: UInt8, _ occurrence: RecordOccurrence, pointer: Int) throws(CardStatusError) -> Int {
        let n = records.count
        switch occurrence {
        case .first:
            for i in 0..<n where identifier(ofRecord: i) == id { return i + 1 }
        case .last:
            for i in (0..<n).reversed() where identifier(ofRecord: i) == id { return i + 1 }
        case .next:
            let start = pointer  // records after the pointer (pointer 0: from the first)
            if start < n {
                for i in start..<n where identifier(ofRecord: i) == id { return i + 1 }
            }
        case .previous:
            let end = pointer == 0 ? n : pointer - 1
            if end > 0 {
                for i in (0..<end).reversed() where identifier(ofRecord: i) == id { return i + 1 }
            }
        }
        throw .recordNotFound
    }

    /// Checks a record for this file: size for fixed structures, the
    /// `tag ‖ length ‖ value` shape for tag-identified records.
    public func validate(_ data: [UInt8]) throws(CardStatusError) {
        if let size = recordSize, structure != .linearVariable, data.count != size { throw .wrongLength }
        if data.count > 255 { throw .wrongLength }
        if identifiedByTag {
            guard data.count >= 2, Int(data[1]) == data.count - 2 else { throw .lcInconsistentWithTLV }
        }
    }

    /// Replaces record `number`. A number one past the last appends when the
    /// file has room (SSC part 5 table 44: writing a missing record appends).
    public mutating func update(number: Int, with data: [UInt8]) throws(CardStatusError) {
        try validate(data)
        if number >= 1 && number <= records.count {
            records[number - 1] = data
        } else if identifiedByTag {
            try append(data)
        } else {
            throw .recordNotFound
        }
    }

    /// Appends a record: at the end of a linear file (`6A84` when full), or as
    /// the new record 1 of a cyclic file (dropping the oldest when full).
    public mutating func append(_ data: [UInt8]) throws(CardStatusError) {
        try validate(data)
        switch structure {
        case .cyclic:
            records.insert(data, at: 0)
            if records.count > maxRecords { records.removeLast() }
        case .linearFixed, .linearVariable:
            guard records.count < maxRecords else { throw .notEnoughMemory }
            records.append(data)
        }
    }
}
