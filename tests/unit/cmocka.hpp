// CMocka from C++: cmocka.h 1.1 has no extern "C" guard and needs these
// standard headers first; including it plainly fails at link time.
#pragma once
#include <csetjmp>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
extern "C" {
#include <cmocka.h>
}
