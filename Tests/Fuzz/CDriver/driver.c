#include <stddef.h>
#include <stdint.h>
#include "CFuzzDriver.h"

// libFuzzer's entry for programs that have a main of their own. SwiftPM gives every executable one
// (it renames the Swift entry point and points `main` at it), so libFuzzer's own main never links.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*test_one_input)(const uint8_t *data, size_t size));
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int berth_fuzz_run(int argc, char **argv) {
    return LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput);
}
