// The Prometheus text format writer (common/prometheus): HELP/TYPE lines,
// samples with and without labels, escaping.
#include "common/prometheus/text_format.hpp"
#include "tests/unit/cmocka.hpp"

#include <cstdint>
#include <string>

using namespace gochat::prometheus;

namespace {

void family_starts_with_help_and_type(void**) {
    TextWriter writer;
    writer.family("gochat_sfu_joins_total", "Joins accepted.", MetricType::Counter)
        .sample("gochat_sfu_joins_total", uint64_t{3});
    writer.family("gochat_sfu_rooms", "Rooms held.", MetricType::Gauge).sampleSigned("gochat_sfu_rooms", -1);
    assert_string_equal(writer.text().c_str(),
                        "# HELP gochat_sfu_joins_total Joins accepted.\n"
                        "# TYPE gochat_sfu_joins_total counter\n"
                        "gochat_sfu_joins_total 3\n"
                        "# HELP gochat_sfu_rooms Rooms held.\n"
                        "# TYPE gochat_sfu_rooms gauge\n"
                        "gochat_sfu_rooms -1\n");
}

void labels_are_written_in_order_and_escaped(void**) {
    TextWriter writer;
    writer.family("m_total", "x", MetricType::Counter)
        .sample("m_total", {{"reason", "room full"}, {"kind", "a\"b\\c\nd"}}, uint64_t{18446744073709551615ull});
    assert_string_equal(writer.text().c_str(),
                        "# HELP m_total x\n# TYPE m_total counter\n"
                        "m_total{reason=\"room full\",kind=\"a\\\"b\\\\c\\nd\"} 18446744073709551615\n");
}

void help_escapes_backslash_and_newline_but_not_quotes(void**) {
    assert_string_equal(escapeHelp("a \"quoted\" \\ path\nnext").c_str(), "a \"quoted\" \\\\ path\\nnext");
    assert_string_equal(escapeLabelValue("plain").c_str(), "plain");
    assert_string_equal(escapeLabelValue("").c_str(), "");
}

void int64_extremes_are_exact(void**) {
    TextWriter writer;
    writer.sample("g", {}, INT64_MIN).sample("g", {}, INT64_MAX);
    assert_string_equal(writer.text().c_str(), "g -9223372036854775808\ng 9223372036854775807\n");
}

void content_type_names_version_0_0_4(void**) {
    assert_string_equal(kContentType, "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(family_starts_with_help_and_type),
        cmocka_unit_test(labels_are_written_in_order_and_escaped),
        cmocka_unit_test(help_escapes_backslash_and_newline_but_not_quotes),
        cmocka_unit_test(int64_extremes_are_exact),
        cmocka_unit_test(content_type_names_version_0_0_4),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
