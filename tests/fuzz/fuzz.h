/* fuzz.h - the libFuzzer entry point every fuzz_*.c defines. */
#ifndef ECSB_FUZZ_H
#define ECSB_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
