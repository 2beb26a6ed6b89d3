// SSCard — CardTransportPCSC
//
// The one choke point for pcsc-lite: every SCard* call of the package goes
// through `LivePCSC`, the only code that touches the C API. The rest of the
// module speaks `PCSCBackend`, with Swift types (codes as `Int`, flags as
// `UInt`), so that tests replace the backend and exercise the error mapping
// without pcscd (swift-system's Syscalls.swift + Mocking.swift; OpenSC's
// dlsym table). DWORD and LONG never leave this file.

internal import CPCSCLite

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A reader's state as SCardGetStatusChange reports it.
package struct PCSCReaderState: Sendable, Hashable {
    package var reader: String
    package var currentState: UInt
    package var eventState: UInt = 0
    package var atr: [UInt8] = []
    package init(reader: String, currentState: UInt) {
        self.reader = reader
        self.currentState = currentState
    }
}

/// The pcsc-lite calls SSCard makes.
package protocol PCSCBackend: Sendable {
    func establishContext() -> (code: Int, context: Int)
    func releaseContext(_ context: Int) -> Int
    func listReaders(_ context: Int) -> (code: Int, readers: [String])
    func connect(_ context: Int, reader: String, share: UInt, protocols: UInt) -> (code: Int, handle: Int, protocol: UInt)
    func reconnect(_ handle: Int, share: UInt, protocols: UInt, initialization: UInt) -> (code: Int, protocol: UInt)
    func disconnect(_ handle: Int, disposition: UInt) -> Int
    func status(_ handle: Int) -> (code: Int, atr: [UInt8], protocol: UInt)
    func transmit(_ handle: Int, protocol: UInt, _ command: [UInt8]) -> (code: Int, response: [UInt8])
    func beginTransaction(_ handle: Int) -> Int
    func endTransaction(_ handle: Int, disposition: UInt) -> Int
    func getStatusChange(_ context: Int, timeout: UInt, states: inout [PCSCReaderState]) -> Int
    func cancel(_ context: Int) -> Int
    func describe(_ code: Int) -> String
}

/// pcsc-lite's constants, as the module uses them.
package enum PCSC {
    package static let success = 0
    package static let protocolT0: UInt = 1
    package static let protocolT1: UInt = 2
    package static let shareExclusive: UInt = 1
    package static let shareShared: UInt = 2
    package static let leaveCard: UInt = 0
    package static let resetCard: UInt = 1
    package static let unpowerCard: UInt = 2
    package static let stateUnaware: UInt = 0
    package static let stateChanged: UInt = 0x2
    package static let stateUnknown: UInt = 0x4
    package static let stateUnavailable: UInt = 0x8
    package static let stateEmpty: UInt = 0x10
    package static let statePresent: UInt = 0x20
    package static let stateMute: UInt = 0x200
    package static let infinite: UInt = 0xFFFF_FFFF
    /// 4 + 3 + 65536 + 3 + 2: the largest extended APDU and answer.
    package static let maxBufferExtended = 65548
    /// The pseudo-reader that reports readers coming and going.
    package static let pnpNotification = #"\\?PnP?\Notification"#

    // Return codes (pcsclite.h), compared as 32-bit values: they import as
    // positive Int on Linux and negative Int32 on macOS.
    package static let cancelled: UInt32 = 0x8010_0002
    package static let invalidHandle: UInt32 = 0x8010_0003
    package static let invalidParameter: UInt32 = 0x8010_0004
    package static let insufficientBuffer: UInt32 = 0x8010_0008
    package static let unknownReader: UInt32 = 0x8010_0009
    package static let timeout: UInt32 = 0x8010_000A
    package static let sharingViolation: UInt32 = 0x8010_000B
    package static let noSmartcard: UInt32 = 0x8010_000C
    package static let protoMismatch: UInt32 = 0x8010_000F
    package static let invalidValue: UInt32 = 0x8010_0011
    package static let commError: UInt32 = 0x8010_0013
    package static let notTransacted: UInt32 = 0x8010_0016
    package static let readerUnavailable: UInt32 = 0x8010_0017
    package static let noService: UInt32 = 0x8010_001D
    package static let serviceStopped: UInt32 = 0x8010_001E
    package static let noReadersAvailable: UInt32 = 0x8010_002E
    package static let unresponsiveCard: UInt32 = 0x8010_0066
    package static let unpoweredCard: UInt32 = 0x8010_0067
    package static let resetCard_: UInt32 = 0x8010_0068
    package static let removedCard: UInt32 = 0x8010_0069
}

/// The real pcsc-lite. The corresponding PC/SC functions are named on each method.
package struct LivePCSC: PCSCBackend {
    package init() {}

    /// `SCardEstablishContext(SCARD_SCOPE_SYSTEM)`.
    package func establishContext() -> (code: Int, context: Int) {
        var context: SCARDCONTEXT = 0
        let rv = SCardEstablishContext(DWORD(SCARD_SCOPE_SYSTEM), nil, nil, &context)
        return (Int(rv), Int(context))
    }

    /// `SCardReleaseContext`.
    package func releaseContext(_ context: Int) -> Int { Int(SCardReleaseContext(SCARDCONTEXT(context))) }

    /// `SCardListReaders`, twice: the length, then the multi-string.
    package func listReaders(_ context: Int) -> (code: Int, readers: [String]) {
        var length: DWORD = 0
        var rv = SCardListReaders(SCARDCONTEXT(context), nil, nil, &length)
        guard rv == SCARD_S_SUCCESS else { return (Int(rv), []) }
        var buffer = [CChar](repeating: 0, count: Int(length))
        rv = SCardListReaders(SCARDCONTEXT(context), nil, &buffer, &length)
        guard rv == SCARD_S_SUCCESS else { return (Int(rv), []) }
        let names = buffer.split(separator: 0).map { String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        return (Int(rv), names)
    }

    /// `SCardConnect`.
    package func connect(_ context: Int, reader: String, share: UInt, protocols: UInt) -> (code: Int, handle: Int, protocol: UInt) {
        var handle: SCARDHANDLE = 0
        var active: DWORD = 0
        let rv = SCardConnect(SCARDCONTEXT(context), reader, DWORD(share), DWORD(protocols), &handle, &active)
        return (Int(rv), Int(handle), UInt(active))
    }

    /// `SCardReconnect`.
    package func reconnect(_ handle: Int, share: UInt, protocols: UInt, initialization: UInt) -> (code: Int, protocol: UInt) {
        var active: DWORD = 0
        let rv = SCardReconnect(SCARDHANDLE(handle), DWORD(share), DWORD(protocols), DWORD(initialization), &active)
        return (Int(rv), UInt(active))
    }

    /// `SCardDisconnect`.
    package func disconnect(_ handle: Int, disposition: UInt) -> Int {
        Int(SCardDisconnect(SCARDHANDLE(handle), DWORD(disposition)))
    }

    /// `SCardStatus`: the ATR and the active protocol.
    package func status(_ handle: Int) -> (code: Int, atr: [UInt8], protocol: UInt) {
        var nameLength: DWORD = 0
        var state: DWORD = 0
        var proto: DWORD = 0
        var atr = [UInt8](repeating: 0, count: Int(MAX_ATR_SIZE))
        var atrLength = DWORD(atr.count)
        let rv = SCardStatus(SCARDHANDLE(handle), nil, &nameLength, &state, &proto, &atr, &atrLength)
        return (Int(rv), Array(atr.prefix(Int(atrLength))), UInt(proto))
    }

    /// `SCardTransmit` with the PCI of the active protocol and an extended-length buffer.
    package func transmit(_ handle: Int, protocol: UInt, _ command: [UInt8]) -> (code: Int, response: [UInt8]) {
        var pci = `protocol` == PCSC.protocolT1 ? g_rgSCardT1Pci : g_rgSCardT0Pci
        var response = [UInt8](repeating: 0, count: PCSC.maxBufferExtended)
        var length = DWORD(response.count)
        let rv = SCardTransmit(SCARDHANDLE(handle), &pci, command, DWORD(command.count), nil, &response, &length)
        guard rv == SCARD_S_SUCCESS else { return (Int(rv), []) }
        return (Int(rv), Array(response.prefix(Int(length))))
    }

    /// `SCardBeginTransaction`.
    package func beginTransaction(_ handle: Int) -> Int { Int(SCardBeginTransaction(SCARDHANDLE(handle))) }

    /// `SCardEndTransaction`.
    package func endTransaction(_ handle: Int, disposition: UInt) -> Int {
        Int(SCardEndTransaction(SCARDHANDLE(handle), DWORD(disposition)))
    }

    /// `SCardGetStatusChange`; the reader names stay valid for the whole call.
    package func getStatusChange(_ context: Int, timeout: UInt, states: inout [PCSCReaderState]) -> Int {
        let names = states.map { strdup($0.reader) }
        defer { for n in names { free(n) } }
        var c = states.enumerated().map { i, s -> SCARD_READERSTATE in
            var r = SCARD_READERSTATE()
            r.szReader = UnsafePointer(names[i])
            r.dwCurrentState = DWORD(s.currentState)
            return r
        }
        let rv = SCardGetStatusChange(SCARDCONTEXT(context), DWORD(truncatingIfNeeded: timeout), &c, DWORD(c.count))
        for i in states.indices {
            states[i].eventState = UInt(c[i].dwEventState)
            let count = min(Int(c[i].cbAtr), Int(MAX_ATR_SIZE))
            states[i].atr = withUnsafeBytes(of: c[i].rgbAtr) { Array($0.prefix(count)) }
        }
        return Int(rv)
    }

    /// `SCardCancel`.
    package func cancel(_ context: Int) -> Int { Int(SCardCancel(SCARDCONTEXT(context))) }

    /// `pcsc_stringify_error`.
    package func describe(_ code: Int) -> String {
        String(cString: pcsc_stringify_error(LONG(truncatingIfNeeded: code)))
    }
}
