// A test helper for PortAllocatorTests: allocates ports from a separate process, so tests can race
// several processes and SIGKILL one in the middle of a claim.
//
//   berth-porttool BASE LOW HIGH OWNER COUNT REPEAT [pause-after-write|pause-after-claim N]
//
// Uses Layout(stateDir: BASE/state, runDir: BASE/run, unitDir: BASE/units). Reserves COUNT ports for
// each of the owners OWNER-1 ... OWNER-REPEAT and prints "owner port" per port. With a pause option
// it prints "paused PORT" at the N-th such point and then waits to be killed.
import BerthCore
#if canImport(Glibc)
import Glibc
#endif

/// Writes straight to a descriptor: unbuffered, so a SIGKILL never loses a line already "printed".
func emit(_ text: String, to fd: CInt = 1) {
    let bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n <= 0 { return }
        offset += n
    }
}

func fail(_ message: String) -> Never {
    emit("berth-porttool: \(message)\n", to: 2)
    exit(2)
}

let args = CommandLine.arguments
guard args.count == 7 || args.count == 9, let low = UInt16(args[2]), let high = UInt16(args[3]),
      let count = Int(args[5]), let repeats = Int(args[6]) else {
    fail("usage: berth-porttool BASE LOW HIGH OWNER COUNT REPEAT [pause-after-write|pause-after-claim N]")
}

final class PauseCounter: @unchecked Sendable {
    // Only the allocating thread touches it (the allocator calls hooks synchronously).
    var remaining: Int
    init(_ n: Int) { remaining = n }
    func tick(_ port: UInt16) {
        remaining -= 1
        if remaining == 0 {
            emit("paused \(port)\n")
            while true { pause() }
        }
    }
}

var hooks = PortAllocatorHooks()
if args.count == 9 {
    guard let n = Int(args[8]), n > 0 else { fail("bad pause count") }
    let counter = PauseCounter(n)
    switch args[7] {
    case "pause-after-write": hooks.afterTemporaryWrite = { counter.tick($0) }
    case "pause-after-claim": hooks.afterClaim = { counter.tick($0) }
    default: fail("unknown pause point \(args[7])")
    }
}

do {
    let base = args[1]
    let layout = try Layout(stateDir: "\(base)/state", runDir: "\(base)/run", unitDir: "\(base)/units")
    let allocator = PortAllocator(layout: layout, range: low...high, hooks: hooks)
    for k in 1...max(1, repeats) {
        let owner = try Identifier("\(args[4])-\(k)")
        let pairs = (0..<count).map { PortPair(internal: UInt16(8000 + $0), external: 0) }
        for pair in try allocator.reserve(for: owner, pairs) { emit("\(owner) \(pair.external)\n") }
    }
} catch {
    fail("\(error)")
}
