// SSCard — SSCardDriver (libSSCardDriver.so)
//
// The C entry points, with the plain names HIS software resolves
// (reader-api.md §1): each `long f(…)`, `long` being 64-bit on LP64. A
// function writes its output, or on failure the Appendix-A text, into the
// caller's buffer as NUL-terminated GBK (UTF-8 on request), at most 1024
// bytes, and returns 0 or the negative code. The header is driver/SSCardDriver.h.
//
// All 23 functions of reader-api.md §1.2 (the 9 PSAM functions and the 14
// HSM steps), and iGetCardType and iGetReaderInfo.

import ReaderDriver

#if canImport(Glibc)
import Glibc
#endif

/// The driver of this process, configured once (the INI beside the library, or $SSCARD_DRIVER_CONF).
let shared: Result<ReaderDriver, DriverFailure> = {
    let environment = DriverLibrary.environment()
    let path = environment["SSCARD_DRIVER_CONF"].flatMap { $0.isEmpty ? nil : $0 } ?? DriverLibrary.besideLibrary("SSCardDriver.ini")
    var text: String? = nil
    if let path {
        guard let bytes = DriverLibrary.read(path) else {
            return .failure(DriverFailure(-14, "\(path): 无法读取配置文件"))
        }
        text = String(decoding: bytes, as: UTF8.self)
    }
    do throws(DriverFailure) {
        return .success(ReaderDriver(configuration: try DriverConfiguration(ini: text, file: path ?? "SSCardDriver.ini", environment: environment)))
    } catch {
        return .failure(error)
    }
}()

/// Writes a result into the caller's buffer; the return code. An output
/// that does not fit the callers' buffer (`maxoutput`) is −42; an error
/// text is cut, at a character, to fit.
func finish(_ result: Result<String, DriverFailure>, _ out: UnsafeMutablePointer<CChar>?) -> Int {
    let driver = try? shared.get()
    let limit = driver?.configuration.maximumOutput ?? 1024
    func encoded(_ text: String) -> [UInt8] { driver?.encode(text) ?? Array(text.utf8) }
    func write(_ bytes: [UInt8]) {
        guard let out else { return }
        out.withMemoryRebound(to: UInt8.self, capacity: bytes.count + 1) { dst in
            for (i, b) in bytes.enumerated() { dst[i] = b }
            dst[bytes.count] = 0
        }
    }
    func fail(_ f: DriverFailure) -> Int {
        var text = f.text
        var bytes = encoded(text)
        while bytes.count >= limit {
            text.removeLast()
            bytes = encoded(text)
        }
        write(bytes)
        return f.code
    }
    switch result {
    case .success(let text):
        let bytes = encoded(text)
        guard bytes.count < limit else {
            return fail(DriverFailure(-42, "运算数据长度错 (the output is \(bytes.count + 1) bytes, over maxoutput = \(limit))"))
        }
        write(bytes)
        return 0
    case .failure(let f):
        return fail(f)
    }
}

func run(_ out: UnsafeMutablePointer<CChar>?, _ body: (ReaderDriver) -> Result<String, DriverFailure>) -> Int {
    guard out != nil else { return -14 }
    switch shared {
    case .failure(let f): return finish(.failure(f), out)
    case .success(let driver): return finish(body(driver), out)
    }
}

@_cdecl("iReadCardBas")
public func iReadCardBas(_ iType: Int32, _ pOutInfo: UnsafeMutablePointer<CChar>?) -> Int {
    run(pOutInfo) { $0.readCardBas(iType: Int(iType)) }
}

@_cdecl("iVerifyPIN")
public func iVerifyPIN(_ iType: Int32, _ pOutInfo: UnsafeMutablePointer<CChar>?) -> Int {
    run(pOutInfo) { $0.verifyPIN(iType: Int(iType)) }
}

@_cdecl("iChangePIN")
public func iChangePIN(_ iType: Int32, _ pOutInfo: UnsafeMutablePointer<CChar>?) -> Int {
    run(pOutInfo) { $0.changePIN(iType: Int(iType)) }
}

/// The most of a string parameter read: every valid one is far shorter
/// (pFileAddr at most 2048 bytes, pWriteData a few KiB).
let maximumStringParameter = 65_536

/// A string parameter as text (NULL stays `nil`). At most
/// ``maximumStringParameter`` + 1 bytes are read, so that a string without
/// its NUL is not followed through the caller's memory: such a one comes
/// out over-long, and the parameter's parser refuses it (−20/−23).
func text(_ p: UnsafeMutablePointer<CChar>?) -> String? {
    guard let p else { return nil }
    let n = strnlen(p, maximumStringParameter + 1)
    return String(decoding: UnsafeRawBufferPointer(start: p, count: n), as: UTF8.self)
}

@_cdecl("iReadCard")
public func iReadCard(
    _ iType: Int32, _ iAuthType: Int32, _ pCardInfo: UnsafeMutablePointer<CChar>?, _ pFileAddr: UnsafeMutablePointer<CChar>?,
    _ pOutInfo: UnsafeMutablePointer<CChar>?
) -> Int {
    run(pOutInfo) { $0.readCard(iType: Int(iType), authType: Int(iAuthType), cardInfo: text(pCardInfo), fileAddress: text(pFileAddr)) }
}

@_cdecl("iReloadPIN")
public func iReloadPIN(_ iType: Int32, _ pCardInfo: UnsafeMutablePointer<CChar>?, _ pOutInfo: UnsafeMutablePointer<CChar>?) -> Int {
    run(pOutInfo) { $0.reloadPIN(iType: Int(iType), cardInfo: text(pCardInfo)) }
}

@_cdecl("iUnblockPIN")
public func iUnblockPIN(_ iType: Int32, _ pCardInfo: UnsafeMutablePointer<CChar>?, _ pOutInfo: UnsafeMutablePointer<CChar>?) -> Int {
    run(pOutInfo) { $0.unblockPIN(iType: Int(iType), cardInfo: text(pCardInfo)) }
}

@_cdecl("iGetCardType")
public func iGetCardType(_ pCardType: UnsafeMutablePointer<UInt8>?, _ pOutInfo: UnsafeMutablePointer<CChar>?) -> Int {
    run(pOutInfo) { driver in
        driver.cardType().map { type in
            pCardType?.pointee = UInt8(ascii: "1")
            return type
        }
    }
}

@_cdecl("iGetReaderInfo")
public func iGetReaderInfo(_ pReaderSN: UnsafeMutablePointer<CChar>?, _ pPsamTermNo: UnsafeMutablePointer<CChar>?) -> Int {
    guard pReaderSN != nil, pPsamTermNo != nil else { return -14 }
    switch shared {
    case .failure(let f): return finish(.failure(f), pReaderSN)
    case .success(let driver):
        switch driver.readerInfo() {
        case .failure(let f): return finish(.failure(f), pReaderSN)
        case .success(let info):
            _ = finish(.success(info.terminal), pPsamTermNo)
            return finish(.success(info.serial), pReaderSN)
        }
    }
}

public typealias CString = UnsafeMutablePointer<CChar>

@_cdecl("iWriteCard")
public func iWriteCard(_ iType: Int32, _ pCardInfo: CString?, _ pFileAddr: CString?, _ pWriteData: CString?, _ pOutInfo: CString?) -> Int {
    run(pOutInfo) { $0.writeCard(iType: Int(iType), cardInfo: text(pCardInfo), fileAddress: text(pFileAddr), writeData: text(pWriteData)) }
}

@_cdecl("iDoDebit")
public func iDoDebit(_ iType: Int32, _ pCardInfo: CString?, _ pPayInfo: CString?, _ pOutInfo: CString?) -> Int {
    run(pOutInfo) { $0.doDebit(iType: Int(iType), cardInfo: text(pCardInfo), payInfo: text(pPayInfo)) }
}

@_cdecl("iReadDebitRecord")
public func iReadDebitRecord(_ iType: Int32, _ pOutInfo: CString?) -> Int {
    run(pOutInfo) { $0.readDebitRecord(iType: Int(iType)) }
}

// MARK: The HSM steps

@_cdecl("iReadCardBas_HSM_Step1")
public func iReadCardBas_HSM_Step1(_ iType: Int32, _ pOutInfo: CString?) -> Int {
    run(pOutInfo) { $0.readCardBasStep1(iType: Int(iType)) }
}

@_cdecl("iReadCardBas_HSM_Step2")
public func iReadCardBas_HSM_Step2(_ pKey: CString?, _ pOutInfo: CString?) -> Int {
    run(pOutInfo) { $0.readCardBasStep2(pKey: text(pKey)) }
}

@_cdecl("iReadCard_HSM_Step1")
public func iReadCard_HSM_Step1(_ iType: Int32, _ pCardInfo: CString?, _ pFileAddr: CString?, _ pOutInfo: CString?) -> Int {
    run(pOutInfo) { $0.readCardStep1(iType: Int(iType), cardInfo: text(pCardInfo), fileAddress: text(pFileAddr)) }
}

@_cdecl("iReadCard_HSM_Step2")
public func iReadCard_HSM_Step2(_ pKey: CString?, _ pOutInfo: CString?) -> Int {
    run(pOutInfo) { $0.readCardStep2(pKey: text(pKey)) }
}

@_cdecl("iWriteCard_HSM_Step1")
public func iWriteCard_HSM_Step1(_ iType: Int32, _ pCardInfo: CString?, _ pFileAddr: CString?, _ pOutInfo: CString?) -> Int {
    run(pOutInfo) { $0.writeCardStep1(iType: Int(iType), cardInfo: text(pCardInfo), fileAddress: text(pFileAddr)) }
}

@_cdecl("iWriteCard_HSM_Step2")
public func iWriteCard_HSM_Step2(_ pKey: CString?, _ pWriteData: CString?, _ pOutInfo: CString?) -> Int {
    run(pOutInfo) { $0.writeCardStep2(pKey: text(pKey), writeData: text(pWriteData)) }
}

@_cdecl("iReloadPIN_HSM_Step1")
public func iReloadPIN_HSM_Step1(_ iType: Int32, _ pCardInfo: CString?, _ pOutInfo: CString?) -> Int {
    run(pOutInfo) { $0.reloadPINStep1(iType: Int(iType), cardInfo: text(pCardInfo)) }
}

@_cdecl("iReloadPIN_HSM_Step2")
public func iReloadPIN_HSM_Step2(_ pKey: CString?, _ pOutInfo: CString?) -> Int {
    run(pOutInfo) { $0.reloadPINStep2(pKey: text(pKey)) }
}

@_cdecl("iReloadPIN_HSM_Step3")
public func iReloadPIN_HSM_Step3(_ pKey: CString?, _ pOutInfo: CString?) -> Int {
    run(pOutInfo) { $0.reloadPINStep3(pKey: text(pKey)) }
}

@_cdecl("iUnblockPIN_HSM_Step1")
public func iUnblockPIN_HSM_Step1(_ iType: Int32, _ pCardInfo: CString?, _ pOutInfo: CString?) -> Int {
    run(pOutInfo) { $0.unblockPINStep1(iType: Int(iType), cardInfo: text(pCardInfo)) }
}

@_cdecl("iUnblockPIN_HSM_Step2")
public func iUnblockPIN_HSM_Step2(_ pKey: CString?, _ pOutInfo: CString?) -> Int {
    run(pOutInfo) { $0.unblockPINStep2(pKey: text(pKey)) }
}

@_cdecl("iUnblockPIN_HSM_Step3")
public func iUnblockPIN_HSM_Step3(_ pKey: CString?, _ pOutInfo: CString?) -> Int {
    run(pOutInfo) { $0.unblockPINStep3(pKey: text(pKey)) }
}

@_cdecl("iDoDebit_HSM_Step1")
public func iDoDebit_HSM_Step1(_ iType: Int32, _ pCardInfo: CString?, _ pPayInfo: CString?, _ pOutInfo: CString?) -> Int {
    run(pOutInfo) { $0.doDebitStep1(iType: Int(iType), cardInfo: text(pCardInfo), payInfo: text(pPayInfo)) }
}

@_cdecl("iDoDebit_HSM_Step2")
public func iDoDebit_HSM_Step2(_ pKey: CString?, _ pOutInfo: CString?) -> Int {
    run(pOutInfo) { $0.doDebitStep2(pKey: text(pKey)) }
}
