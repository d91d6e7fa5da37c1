#ifndef BERTH_CFUZZDRIVER_H
#define BERTH_CFUZZDRIVER_H

/// Runs libFuzzer with the process's arguments on `LLVMFuzzerTestOneInput` (defined in Swift, with
/// `@_cdecl`). The corresponding libFuzzer function is `LLVMFuzzerRunDriver`.
int berth_fuzz_run(int argc, char **argv);

#endif
