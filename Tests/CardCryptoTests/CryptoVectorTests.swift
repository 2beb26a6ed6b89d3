import CardStandards
import CardAPDU
import CardCrypto
import Foundation
import Testing

private func h(_ s: String) -> [UInt8] { try! Hex.decode(s) }

@Suite struct BlockCipherVectorTests {
    @Test func sm4GBT32907AppendixA() throws {
        let key = h("0123456789ABCDEFFEDCBA9876543210")
        let c = try BlockCipher(.sm4, key: key)
        #expect(Hex.encode(c.encrypt(key)) == "681EDF34D206965E86B3E94F536E4246")
        #expect(c.decrypt(h("681EDF34D206965E86B3E94F536E4246")) == key)
    }

    @Test func singleDESClassicVector() throws {
        // FIPS 81 / the "Now is the time for all " example: key 0123456789ABCDEF.
        let c = try BlockCipher(.des, key: h("0123456789ABCDEF"))
        #expect(Hex.encode(c.encrypt(h("4E6F772069732074"))) == "3FA40E8A984D4815")
    }

    @Test func tripleDESWithEqualHalvesIsSingleDES() throws {
        let k = h("0123456789ABCDEF")
        let single = try BlockCipher(.des, key: k)
        let triple = try BlockCipher(.tripleDES, key: k + k)
        #expect(single.encrypt(h("1122334455667788")) == triple.encrypt(h("1122334455667788")))
    }

    @Test func cbcChains() throws {
        let c = try BlockCipher(.des, key: h("0123456789ABCDEF"))
        // FIPS 81 CBC example, IV 1234567890ABCDEF.
        let out = c.encryptCBC(h("4E6F77206973207468652074696D6520666F7220616C6C20"), iv: h("1234567890ABCDEF"))
        #expect(Hex.encode(out) == "E5C7CDDE872BF27C43E934008C389C0F683788499A7C05F6")
    }

    /// The one-call retail MAC is the same as its definition spelt out in
    /// single-DES steps, for every length and with an IV.
    @Test(arguments: [0, 1, 7, 8, 9, 40, 255])
    func retailMACMatchesItsDefinition(_ length: Int) throws {
        let key = h("0123456789ABCDEFFEDCBA9876543210")
        let data = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        let padded = padISO9797Method2(data, blockSize: 8)
        let left = try BlockCipher(.des, key: Array(key[0..<8]))
        let right = try BlockCipher(.des, key: Array(key[8..<16]))
        for iv in [nil, h("1122334455667788")] {
            let chain = left.encryptCBC(padded, iv: iv)
            let expected = left.encrypt(right.decrypt(Array(chain.suffix(8))))
            #expect(try BlockCipher(.tripleDES, key: key).retailMAC(padded, iv: iv) == expected)
            #expect(try retailMAC(key: key, data: data, iv: iv) == expected)
        }
    }

    @Test func tripleDESCBCAndDecryptRoundTrip() throws {
        let c = try BlockCipher(.tripleDES, key: h("00112233445566778899AABBCCDDEEFF"))
        let plain = h("000102030405060708090A0B0C0D0E0F1011121314151617")
        let iv = h("0102030405060708")
        // CBC spelt out with ECB: each block XORed with the previous cipher block.
        var previous = iv
        var expected: [UInt8] = []
        for i in stride(from: 0, to: plain.count, by: 8) {
            previous = c.encrypt(zip(plain[i..<i + 8], previous).map { $0 ^ $1 })
            expected += previous
        }
        #expect(c.encryptCBC(plain, iv: iv) == expected)
        #expect(c.decrypt(c.encrypt(plain)) == plain)
        #expect(try BlockCipher(.des, key: h("0123456789ABCDEF")).decrypt(h("3FA40E8A984D4815")) == h("4E6F772069732074"))
    }

    /// Cross-check against OpenSSL's command line, when it is installed.
    @Test(arguments: [("des-ede-ecb", CipherAlgorithm.tripleDES), ("sm4-ecb", .sm4)])
    func matchesTheOpenSSLCommandLine(_ name: String, _ algorithm: CipherAlgorithm) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") else { return }
        let key = h("00112233445566778899AABBCCDDEEFF")
        let plain = h("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        p.arguments = ["enc", "-\(name)", "-nopad", "-K", Hex.encode(key)]
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        p.standardError = FileHandle.nullDevice
        try p.run()
        input.fileHandleForWriting.write(Data(plain))
        try input.fileHandleForWriting.close()
        let expected = [UInt8](output.fileHandleForReading.readDataToEndOfFile())
        p.waitUntilExit()
        try #require(p.terminationStatus == 0)
        #expect(try BlockCipher(algorithm, key: key).encrypt(plain) == expected)
    }
}

@Suite struct MACVectorTests {
    @Test func padding() {
        #expect(padISO9797Method2([1, 2, 3], blockSize: 8) == [1, 2, 3, 0x80, 0, 0, 0, 0])
        #expect(padISO9797Method2([UInt8](repeating: 1, count: 8), blockSize: 8).count == 16)
        #expect(unpadISO9797Method2([1, 0x80, 0, 0]) == [1])
        #expect(unpadISO9797Method2([1, 0, 0, 0]) == nil)
    }

    /// PBOC ARQC (vectors.md, from ARQC-BLOG): UDK → session key → retail MAC.
    @Test func pbocARQCChain() throws {
        let imk = h("F0C34A8124CEE0A91A0B034AA97D6EAC")
        #expect(Hex.encode(PBOCCrypto.derivationData(pan: "6228000100001", psn: 0x01)) == "0622800010000101")
        let udk = try PBOCCrypto.udk(imk: imk, pan: "6228000100001", psn: 0x01)
        #expect(Hex.encode(udk) == "014D996FCC8F49157DC8B49E3BCDFD99")
        let sk = try PBOCCrypto.sessionKey(udk: udk, atc: 0x0240)
        #expect(Hex.encode(sk) == "D4102725E6E5AD329E55AAB50BF23DA9")
        let input = h("000000000001 000000000000 0156 0080046000 0156 140701 00 1E78EEBC 7D00 0240 03A04002")
        let arqc = try PBOCCrypto.cryptogram(sessionKey: sk, data: input)
        #expect(Hex.encode(arqc) == "5D016C91005E7CC2")
        #expect(Hex.encode(try PBOCCrypto.arpc(sessionKey: sk, arqc: arqc, arc: h("3031"))) == "21415243527CE78F")
    }

    /// The worked sample of pboc.md §12.
    @Test func pbocWorkedSample() throws {
        let udk = try PBOCCrypto.udk(imk: h("F0C34A8124CEE0A91A0B034AA97D6EAC"), pan: "6212340000000007", psn: 0x01)
        #expect(Hex.encode(udk) == "C72D109AD21E619F1E1ABF8457498D0B")
        #expect(Hex.encode(try PBOCCrypto.sessionKey(udk: udk, atc: 1)) == "BA8DEE700B8709C88368382F3390EF4B")
        let udkMAC = try PBOCCrypto.udk(imk: h("12B1AC4AF070CC35612BFE2D30AB600D"), pan: "6212340000000007", psn: 0x01)
        #expect(Hex.encode(udkMAC) == "6A13A4B3A75D02E6712F5333FE886651")
        #expect(Hex.encode(try PBOCCrypto.sessionKey(udk: udkMAC, atc: 1)) == "122842CD41D6FEDA4A430005367E7F97")
    }
}

@Suite struct PBOCSM4Tests {
    /// The SM4 variant's layout [INFERRED]: checked against the cipher itself.
    @Test func layout() throws {
        let imk = h("0123456789ABCDEFFEDCBA9876543210")
        let y = PBOCCrypto.derivationData(pan: "6212340000000007", psn: 1)
        let udk = try PBOCCrypto.udk(imk: imk, pan: "6212340000000007", psn: 1, algorithm: .sm4)
        #expect(udk == (try BlockCipher(.sm4, key: imk).encrypt(y + y.map { ~$0 })))
        let sk = try PBOCCrypto.sessionKey(udk: udk, atc: 0x0240, algorithm: .sm4)
        #expect(sk == (try BlockCipher(.sm4, key: udk).encrypt(h("000000000000 0240 000000000000 FDBF"))))
        let arqc = try PBOCCrypto.cryptogram(sessionKey: sk, data: h("0102030405"), algorithm: .sm4)
        #expect(arqc.count == 8)
        let arpc = try PBOCCrypto.arpc(sessionKey: sk, arqc: arqc, arc: h("3030"), algorithm: .sm4)
        var y2 = arqc
        y2[0] ^= 0x30
        y2[1] ^= 0x30
        #expect(arpc == Array(try BlockCipher(.sm4, key: sk).encrypt(y2 + [UInt8](repeating: 0, count: 8)).prefix(8)))
    }
}

@Suite struct SocialSecurityCryptoTests {
    let key16 = h("00112233445566778899AABBCCDDEEFF")

    @Test func desFamilySessionKeyIsSingleLengthTripleDES() throws {
        let random = h("1122334455667788")
        let sk = try SocialSecurityCrypto.sessionKey(.des, key: key16, random: random)
        #expect(sk == (try BlockCipher(.tripleDES, key: key16).encrypt(random)))
        #expect(sk.count == 8)
        let auth = try SocialSecurityCrypto.authenticationData(.des, sessionKey: sk, data: random)
        #expect(auth == (try BlockCipher(.des, key: sk).encrypt(random)))
    }

    @Test func sm4FamilyPadsTheRandomAndFoldsTheResult() throws {
        let random = h("1122334455667788")
        let sk = try SocialSecurityCrypto.sessionKey(.sm4, key: key16, random: random)
        #expect(sk == (try BlockCipher(.sm4, key: key16).encrypt(random + [UInt8](repeating: 0, count: 8))))
        let four = try SocialSecurityCrypto.sessionKey(.sm4, key: key16, random: h("11223344"))
        #expect(four == (try BlockCipher(.sm4, key: key16).encrypt(h("11223344") + [UInt8](repeating: 0, count: 12))))
        let e = try BlockCipher(.sm4, key: sk).encrypt(random + [UInt8](repeating: 0, count: 8))
        let auth = try SocialSecurityCrypto.authenticationData(.sm4, sessionKey: sk, data: random)
        #expect(auth == (0..<8).map { e[$0] ^ e[$0 + 8] })
    }

    @Test func macs() throws {
        let data = h("8424000114") + [UInt8](repeating: 0xAB, count: 16)
        let desSK = h("0123456789ABCDEF")
        let des = try SocialSecurityCrypto.mac(.des, sessionKey: desSK, data: data)
        let chain = try BlockCipher(.des, key: desSK).encryptCBC(padISO9797Method2(data, blockSize: 8))
        #expect(des == Array(chain.suffix(8).prefix(4)))
        let sm4 = try SocialSecurityCrypto.mac(.sm4, sessionKey: key16, data: data)
        let last = Array(try BlockCipher(.sm4, key: key16).encryptCBC(padISO9797Method2(data, blockSize: 16)).suffix(16))
        var folded = [UInt8](repeating: 0, count: 4)
        for i in 0..<16 { folded[i % 4] ^= last[i] }
        #expect(sm4 == folded)
    }

    @Test(arguments: [SocialSecurityAlgorithm.des, .sm4])
    func encryptionRoundTrips(_ algorithm: SocialSecurityAlgorithm) throws {
        let sk = algorithm == .des ? h("0123456789ABCDEF") : key16
        let c = try SocialSecurityCrypto.encrypt(algorithm, sessionKey: sk, plaintext: h("123456"))
        #expect(c.count == algorithm.blockSize)
        #expect(try SocialSecurityCrypto.decrypt(algorithm, sessionKey: sk, ciphertext: c) == h("123456"))
        #expect(try SocialSecurityCrypto.decrypt(algorithm, sessionKey: sk, ciphertext: [UInt8](repeating: 0, count: algorithm.blockSize)) == nil)
    }

    @Test func diversification() throws {
        let f = h("86605199000001AC")
        let d = try SocialSecurityCrypto.diversify(.des, key: key16, factor: f)
        let c = try BlockCipher(.tripleDES, key: key16)
        #expect(d == c.encrypt(f) + c.encrypt(f.map { ~$0 }))
        let s = try SocialSecurityCrypto.diversify(.sm4, key: key16, factor: f)
        #expect(s.count == 16)
        let two = try SocialSecurityCrypto.diversify(.des, key: key16, factors: [f, f])
        #expect(two == (try SocialSecurityCrypto.diversify(.des, key: d, factor: f)))
        #expect(throws: SocialSecurityCrypto.unsupported) { try SocialSecurityCrypto.diversify(.ssf33, key: key16, factor: f) }
    }

    @Test func factorsOfPart9() {
        let f = SocialSecurityCrypto.factors(region: "519900", historicalBytes: h("00814A444686605199000001AC"))
        #expect(Hex.encode(f.province) == "3531303030307368")
        #expect(Hex.encode(f.city) == "3531393930307378")
        #expect(Hex.encode(f.card) == "86605199000001AC")
    }
}
