// SSCard — CardStandards
//
// GBK text (names and labels on the card), through glibc's iconv: GB18030,
// a superset of GBK, as Foundation on Linux does it, without Foundation, so
// that the card side stays free of it. This file is the target's one user
// of libc.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// GBK encoding and decoding.
public enum GBK {
    /// The bytes of `text` in GBK; `nil` when a character has no GBK form.
    public static func encode(_ text: String) -> [UInt8]? {
        convert(Array(text.utf8), from: "UTF-8", to: "GB18030")
    }

    /// The text of GBK bytes; `nil` when they are not valid GBK.
    public static func decode(_ bytes: some Collection<UInt8>) -> String? {
        convert(Array(bytes), from: "GB18030", to: "UTF-8").map { String(decoding: $0, as: UTF8.self) }
    }

    static func convert(_ input: [UInt8], from: String, to: String) -> [UInt8]? {
        if input.isEmpty { return [] }
        let cd = iconv_open(to, from)
        guard let cd, Int(bitPattern: cd) != -1 else { return nil }
        defer { iconv_close(cd) }
        var source = input.map { CChar(bitPattern: $0) }
        var output = [CChar](repeating: 0, count: input.count * 4 + 4)
        let capacity = output.count
        var left = 0
        let ok = source.withUnsafeMutableBufferPointer { src -> Bool in
            output.withUnsafeMutableBufferPointer { dst -> Bool in
                var inPtr: UnsafeMutablePointer<CChar>? = src.baseAddress
                var inLeft = src.count
                var outPtr: UnsafeMutablePointer<CChar>? = dst.baseAddress
                var outLeft = dst.count
                let r = iconv(cd, &inPtr, &inLeft, &outPtr, &outLeft)
                left = outLeft
                return r != -1 && inLeft == 0
            }
        }
        guard ok else { return nil }
        return output.prefix(capacity - left).map { UInt8(bitPattern: $0) }
    }
}
