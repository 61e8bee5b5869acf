// The one .jcfg reader (common/jcfg): libconfig syntax as Janus reads it,
// the typed readers the plugin and the transport use, and reading files.
#include "common/jcfg/jcfg_file.hpp"
#include "tests/unit/cmocka.hpp"

#include <cstdio>
#include <string>
#include <unistd.h>

using gochat::jcfg::JcfgFile;
using gochat::jcfg::JcfgValue;

namespace {

JcfgFile parsed(const char* text) {
    std::string error;
    auto file = JcfgFile::parse(text, error);
    if (!file) fail_msg("'%s' did not parse: %s", text, error.c_str());
    return *file;
}

void groups_strings_numbers_and_comments_read_as_janus_reads_them(void**) {
    const JcfgFile file = parsed(
        "# a comment\n"
        "general: {\n"
        "  auth_secret = \"a \" \"b\\x21\"  // adjacent strings join\n"
        "  token_leeway = 5;\n"
        "  quoted = \"7\",\n"
        "  flag = true\n"
        "  /* block */ ratio = 1.5\n"
        "  list = ( 1, \"two\" )\n"
        "}\n"
        "speaking = { nested = { level = 0x10 } }\n");
    assert_string_equal(file.find("general.auth_secret")->text.c_str(), "a b!");
    assert_int_equal(file.find("general.token_leeway")->integer, 5);
    assert_int_equal(static_cast<int>(file.find("general.flag")->kind), static_cast<int>(JcfgValue::Kind::Boolean));
    assert_int_equal(file.find("speaking.nested.level")->integer, 16);
    assert_null(file.find("general.list"));
    assert_null(file.find("general"));
    const auto names = file.namesIn("general");
    assert_int_equal(names.size(), 5);  // auth_secret flag quoted ratio token_leeway; list and nested groups skipped
    assert_string_equal(names[0].c_str(), "auth_secret");
    assert_true(file.namesIn("speaking").empty());
}

void integers_may_be_quoted_and_are_checked_against_their_range(void**) {
    const JcfgFile file = parsed("g: { a = 5; b = \"7\"; c = \"7x\"; d = 99; e = 1.0; f = \"-3\" }");
    std::string error;
    int64_t value = -1;
    assert_true(file.readInteger("g.a", 0, 10, value, error));
    assert_int_equal(value, 5);
    assert_true(file.readInteger("g.b", 0, 10, value, error));
    assert_int_equal(value, 7);
    assert_true(file.readInteger("g.f", -5, 10, value, error));
    assert_int_equal(value, -3);
    value = 42;
    assert_true(file.readInteger("g.absent", 0, 10, value, error));
    assert_int_equal(value, 42);  // absent: untouched
    assert_false(file.readInteger("g.c", 0, 10, value, error));
    assert_string_equal(error.c_str(), "g.c must be an integer from 0 to 10");
    assert_false(file.readInteger("g.d", 0, 10, value, error));
    assert_false(file.readInteger("g.e", 0, 10, value, error));
    assert_int_equal(value, 42);
}

void booleans_accept_the_spellings_janus_accepts(void**) {
    const JcfgFile file = parsed("g: { a = true; b = \"no\"; c = \"YES\"; d = 1; e = \"maybe\" }");
    std::string error;
    bool flag = false;
    assert_true(file.readBoolean("g.a", flag, error) && flag);
    assert_true(file.readBoolean("g.b", flag, error) && !flag);
    assert_true(file.readBoolean("g.c", flag, error) && flag);
    flag = false;
    assert_true(file.readBoolean("g.d", flag, error) && flag);
    assert_false(file.readBoolean("g.e", flag, error));
    assert_string_equal(error.c_str(), "g.e must be true or false");
}

void broken_files_name_their_line(void**) {
    const char* broken[] = {
        "g: { a = \"x\"\n",                // unterminated group
        "g: { a = \"x\" }\ng: { b = 1 }",  // duplicate group
        "g: { a = }",                      // no value
        "@include \"other.jcfg\"",         // not supported
        "g: { a = \"\\q\" }",              // unknown escape
        "/* never closed",
    };
    for (const char* text : broken) {
        std::string error;
        if (JcfgFile::parse(text, error)) fail_msg("'%s' parsed", text);
        if (error.rfind("line ", 0) != 0) fail_msg("'%s': error without a line: %s", text, error.c_str());
    }
}

void files_are_read_and_a_missing_file_is_told_apart(void**) {
    char path[] = "/tmp/test_jcfg_XXXXXX";
    const int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char text[] = "general: { port = 8188 }\n";
    assert_int_equal(write(fd, text, sizeof text - 1), static_cast<ssize_t>(sizeof text - 1));
    close(fd);

    std::string error;
    bool missing = true;
    auto file = JcfgFile::read(path, error, &missing);
    assert_true(file.has_value());
    assert_false(missing);
    assert_string_equal(file->find("general.port")->text.c_str(), "8188");

    FILE* broken = std::fopen(path, "w");
    std::fputs("general: {\n port = \n", broken);
    std::fclose(broken);
    assert_false(JcfgFile::read(path, error, &missing).has_value());
    assert_false(missing);
    assert_true(error.find(path) != std::string::npos && error.find("line ") != std::string::npos);

    unlink(path);
    assert_false(JcfgFile::read(path, error, &missing).has_value());
    assert_true(missing);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(groups_strings_numbers_and_comments_read_as_janus_reads_them),
        cmocka_unit_test(integers_may_be_quoted_and_are_checked_against_their_range),
        cmocka_unit_test(booleans_accept_the_spellings_janus_accepts),
        cmocka_unit_test(broken_files_name_their_line),
        cmocka_unit_test(files_are_read_and_a_missing_file_is_told_apart),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
