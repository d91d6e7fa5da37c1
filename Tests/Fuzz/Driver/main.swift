#if canImport(Glibc)
import Glibc
#endif
import CFuzzDriver

// The libFuzzer driver. Built only by Scripts/fuzz (with BERTH_FUZZ=1 and -sanitize=fuzzer,address),
// never by `swift build` of the product. One binary serves every target: BERTH_FUZZ_TARGET names it
// (FuzzEntry.swift).

_ = chosenTarget  // a missing or unknown name stops here, before libFuzzer starts
exit(berth_fuzz_run(CommandLine.argc, CommandLine.unsafeArgv))
