// SSCard — the helpers of `sscard run` scripts: what a terminal computes
// for the secured flows, with the test issuer's keys (the virtual HSM's).
//
//   ${ea(ALG, KEY, CARDID, ORIGINAL, RANDOM)}   external authentication data: auth ‖ original (‖ 01 for SM4)
//   ${mac(ALG, KEY, CARDID, RANDOM, DATA, …)}   the MAC of DATA (CLA INS P1 P2 Lc ‖ data; the DATA arguments joined) for an 84 command
//   ${name=helper(…)}                           the same, its result also kept under name
//   ${pin(ALG, KEY, CARDID, RANDOM, PIN)}       a new PIN enciphered for 8424 0001 (PIN as its digits, e.g. 246810)
//   ${pinblock(PIN)}                            the ISO 9564 format-2 block of PIN (PBOC's VERIFY 80)
//   ${arpc(PAN, PSN, ATC, DATA, AIP, IAD, ARQC, ARC)}
//                                               the issuer's check of a PBOC ARQC (DATA: the 29 CDOL1
//                                               bytes it covers) under the test IMK-AC: ARPC ‖ ARC for
//                                               EXTERNAL AUTHENTICATE; a cryptogram that does not verify
//                                               stops the script
//
// ALG is the SSSE's algorithm (01 DES, 03 SM4); KEY the PSAM key identifier
// (0A RKSSSE, 09 STK, 10 PUK, 12 UKSSSE); CARDID the 16-byte 卡识别码 (its
// first 3 bytes give the region); the card's ATR gives the historical bytes.

import BackOffice
import CardAPDU
import CardPersonalization
import CardScript
import CardStandards
import ReaderDriver

struct IssuerHelpers: ScriptHelpers {
    func call(_ name: String, _ args: [[UInt8]], atr: [UInt8]) throws(ScriptHelperError) -> [UInt8] {
        func need(_ n: Int, _ usage: String) throws(ScriptHelperError) {
            guard args.count == n else { throw ScriptHelperError("${\(name)(…)}: give \(usage)") }
        }
        func card() throws(ScriptHelperError) -> HSMCard {
            guard args[0].count == 1, let alg = SocialSecurityAlgorithm(rawValue: args[0][0]) else {
                throw ScriptHelperError("${\(name)(…)}: the algorithm is 01 (DES) or 03 (SM4)")
            }
            guard args[2].count == 16 else { throw ScriptHelperError("${\(name)(…)}: the card ID is 16 bytes") }
            return HSMCard(region: Hex.encode(args[2].prefix(3)), historicalBytes: ATR(bytes: atr)?.historicalBytes ?? [], algorithm: alg)
        }
        func hsm<T>(_ body: () throws(DriverFailure) -> T) throws(ScriptHelperError) -> T {
            do {
                return try body()
            } catch {
                throw ScriptHelperError("${\(name)(…)}: \(error.text)")
            }
        }
        func eight(_ i: Int, _ what: String) throws(ScriptHelperError) -> [UInt8] {
            guard args[i].count == 8 else { throw ScriptHelperError("${\(name)(…)}: \(what) is 8 bytes, not \(args[i].count)") }
            return args[i]
        }
        switch name {
        case "ea":
            try need(5, "ea(ALG, KEY, CARDID, ORIGINAL, RANDOM)")
            let c = try card(), original = try eight(3, "ORIGINAL"), random = try eight(4, "RANDOM")
            let auth = try hsm { () throws(DriverFailure) in try VirtualHSM.authentication(c, keyID: args[1].first ?? 0, factor: random, original: original) }
            return auth + original + (c.algorithm.blockSize == 16 ? [0x01] : [])
        case "mac":
            guard args.count >= 5 else { throw ScriptHelperError("${mac(…)}: give mac(ALG, KEY, CARDID, RANDOM, DATA, …)") }
            let c = try card(), random = try eight(3, "RANDOM"), data = args[4...].flatMap { $0 }
            return try hsm { () throws(DriverFailure) in try VirtualHSM.mac(c, keyID: args[1].first ?? 0, random: random, data: data) }
        case "pin":
            try need(5, "pin(ALG, KEY, CARDID, RANDOM, PIN)")
            let c = try card(), random = try eight(3, "RANDOM")
            let digits = Hex.encode(args[4])
            return try hsm { () throws(DriverFailure) in try VirtualHSM.encipheredPIN(c, keyID: args[1].first ?? 0, random: random, pin: digits) }
        case "pinblock":
            try need(1, "pinblock(PIN)")
            guard let block = PINBlock.format2(Hex.encode(args[0])) else { throw ScriptHelperError("${pinblock(…)}: a PIN is 4 to 12 digits") }
            return block
        case "arpc":
            try need(8, "arpc(PAN, PSN, ATC, DATA, AIP, IAD, ARQC, ARC)")
            let pan = String(Hex.encode(args[0]).prefix { $0 != "F" })
            guard args[1].count == 1, args[2].count == 2, args[3].count == 29, args[6].count == 8, args[7].count == 2 else {
                throw ScriptHelperError("${arpc(…)}: PSN 1 byte, ATC 2, DATA the 29 CDOL1 bytes, ARQC 8, ARC 2")
            }
            let request = AuthorizationRequest(
                pan: pan, psn: args[1][0], atc: UInt16(args[2][0]) << 8 | UInt16(args[2][1]), transactionData: args[3], aip: args[4],
                iad: args[5], arqc: args[6], amount: 0)
            let host = IssuerHost(imkAC: TestIssuer.imkAC)
            do {
                let check = try host.check(request)
                guard check.verified else { throw ScriptHelperError("${arpc(…)}: the ARQC \(Hex.encode(args[6])) does not verify under the issuer's key") }
                return try host.respond(request, check: check, arc: args[7], reason: "").arpc + args[7]
            } catch let e as ScriptHelperError {
                throw e
            } catch {
                throw ScriptHelperError("${arpc(…)}: \(error)")
            }
        default:
            throw ScriptHelperError("${\(name)(…)}: no such helper (ea, mac, pin, pinblock, arpc)")
        }
    }
}
