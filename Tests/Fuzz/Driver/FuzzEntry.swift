#if canImport(Glibc)
import Glibc
#endif
import BerthFuzzChecks

/// The target BERTH_FUZZ_TARGET names, read once. A global outside main.swift, so the entry point
/// below (which is not on the main actor) may read it.
let chosenTarget: FuzzTarget = {
    guard let name = getenv("BERTH_FUZZ_TARGET").map({ String(cString: $0) }), let target = FuzzTarget(rawValue: name) else {
        fatalError("set BERTH_FUZZ_TARGET to one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    return target
}()

/// libFuzzer calls this with every input it makes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    do {
        try chosenTarget.check(input)
    } catch {
        // A crash is how libFuzzer learns of a failed property: it saves the input as crash-*.
        fatalError("\(chosenTarget.rawValue): \(error)")
    }
    return 0
}
