#include "tests/unit/cmocka.hpp"

namespace {
void placeholder(void**) {}
}  // namespace

int main() {
    const CMUnitTest tests[] = {cmocka_unit_test(placeholder)};
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
