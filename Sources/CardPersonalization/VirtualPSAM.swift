// SSCard — CardPersonalization
//
// The terminal's virtual PSAM: the test issuer's master keys in a DES and
// an SM4 environment (spec/ssc.md §3.4).

import CardAPDU
import CardCrypto
import CardFileSystem
public import CardRuntime
import CardStandards

/// A virtual PSAM holding the test issuer's master keys in a DES and an SM4 environment.
public enum VirtualPSAM {
    public static func state(terminalNumber: String = "510100000001") -> CardState {
        var fs = FileSystem(mf: DedicatedFile(fid: .mf, name: SocialSecurity.environmentName(.des)))
        var keys: [CardKey] = []
        for alg in [SocialSecurityAlgorithm.des, .sm4] {
            let env = alg == .des ? FileSystem.mf : fs.add(
                .df(DedicatedFile(fid: FileID(rawValue: 0xDDF3), name: SocialSecurity.environmentName(alg))), label: "env-sm4", under: FileSystem.mf)
            let suffix = alg == .des ? "des" : "sm4"
            fs.add(
                .ef(ElementaryFile(
                    fid: FileID(rawValue: 0x0015),
                    content: .transparent(TransparentFile(data: [0x01] + SocialSecurityProfile.bcd("5101000000000001") + [0x02, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00])),
                    access: AccessRules(read: .always, update: .never))), label: "public-\(suffix)", under: env)
            fs.add(
                .ef(ElementaryFile(
                    fid: FileID(rawValue: 0x0016), sfi: SFI(rawValue: 0x16),
                    content: .transparent(TransparentFile(data: SocialSecurityProfile.bcd(terminalNumber))),
                    access: AccessRules(read: .always, update: .never))), label: "terminal-\(suffix)", under: env)
            let adf = fs.add(.df(DedicatedFile(fid: FileID(rawValue: 0xDF01), name: PSAM.aid)), label: "psam-\(suffix)", under: env)
            fs.add(
                .ef(ElementaryFile(
                    fid: FileID(rawValue: 0x0019), content: .transparent(TransparentFile(data: [0, 0, 0, 0])),
                    access: AccessRules(read: .always, update: .never))), label: "serial-\(suffix)", under: adf)
            for id in TestIssuer.keyIDs {
                keys.append(
                    CardKey(
                        label: "master-\(suffix)-\(String(id, radix: 16, uppercase: true))", df: adf, number: id,
                        usage: .master, algorithm: alg, value: TestIssuer.masterKey(id, alg)))
            }
        }
        let atr = ATR(protocols: [.t0], historicalBytes: Array("SSCARD PSAM".utf8))
        return CardState(profile: "psam", atr: atr, answerMode: .direct, files: fs, pins: [], keys: keys.sorted { $0.label < $1.label })
    }
}

