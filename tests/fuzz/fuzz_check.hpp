// Invariant checks shared by the fuzz targets. They abort (a crash libFuzzer
// reports, a failure the gcc-built replay driver reports) instead of using
// assert(), which NDEBUG would silence.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition)                                                                           \
    do {                                                                                                \
        if (!(condition)) {                                                                             \
            std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #condition); \
            std::abort();                                                                               \
        }                                                                                               \
    } while (0)
