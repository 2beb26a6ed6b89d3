// The fuzzer: one binary for every target, the target named by
// $SSCARD_FUZZ_TARGET; every argument goes to libFuzzer (corpus folders,
// -max_total_time=N, -artifact_prefix=…, -merge=1, …).

import CLibFuzzer
import CardFuzzing

#if canImport(Glibc)
import Glibc
#endif

/// Says why the fuzzer cannot start, and stops it.
func refuse(_ message: String) -> Never {
    let line = Array(("sscard-fuzz: " + message + "\n").utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(2)
}

let names = FuzzTargets.all.map(\.name).joined(separator: ", ")
guard let name = getenv("SSCARD_FUZZ_TARGET").map({ String(cString: $0) }) else {
    refuse("set SSCARD_FUZZ_TARGET to one of: \(names)")
}
guard let target = FuzzTargets.named(name) else { refuse("no target \(name); the targets are: \(names)") }
nonisolated(unsafe) let chosen = target

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(
    LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        chosen(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
        return 0
    })
