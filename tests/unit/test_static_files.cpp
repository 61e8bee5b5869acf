// The demo page's settings (web_enabled, web_root) and which request paths
// the transport's small file server maps to which file and content type.
#include <cstring>
#include <string>

#include "tests/unit/cmocka.hpp"
#include "transports/gochat-ws/codec/static_files.hpp"
#include "transports/gochat-ws/codec/transport_settings.hpp"

using namespace gochat::ws;

namespace {

void web_is_on_by_default_from_the_installed_demo_dir(void**) {
    TransportSettings settings;
    assert_true(settings.webEnabled);
    // $(datadir)/gochat-sfu/demo, whatever the prefix of this build.
    const std::string root = settings.webRoot;
    const std::string tail = "/gochat-sfu/demo";
    assert_true(root.front() == '/');
    assert_true(root.size() > tail.size());
    assert_string_equal(root.substr(root.size() - tail.size()).c_str(), tail.c_str());
}

void web_settings_are_validated(void**) {
    struct Case {
        const char* key;
        const char* value;
        bool accepted;
    } cases[] = {
        {"web_enabled", "false", true}, {"web_enabled", "yes", true},    {"web_enabled", "on", false},
        {"web_enabled", "", false},     {"web_root", "/srv/demo", true}, {"web_root", "demo", false},
        {"web_root", "", false},        {"web_root", "./demo", false},
    };
    for (const Case& c : cases) {
        TransportSettings settings;
        bool unknown = true;
        auto error = applySetting(settings, c.key, c.value, unknown);
        assert_false(unknown);
        assert_int_equal(!error.has_value(), c.accepted);
    }
}

void web_settings_are_applied(void**) {
    TransportSettings settings;
    bool unknown = true;
    assert_false(applySetting(settings, "web_enabled", "false", unknown).has_value());
    assert_false(settings.webEnabled);
    assert_false(applySetting(settings, "web_root", "/srv/gochat/demo//", unknown).has_value());
    assert_string_equal(settings.webRoot.c_str(), "/srv/gochat/demo");
    assert_false(applySetting(settings, "web_root", "/", unknown).has_value());
    assert_string_equal(settings.webRoot.c_str(), "/");
}

void root_is_the_index_page(void**) {
    auto file = resolveStaticFile("/");
    assert_true(file.has_value());
    assert_string_equal(file->relativePath.c_str(), "index.html");
    assert_string_equal(file->contentType, "text/html; charset=utf-8");
}

void demo_files_get_their_content_type(void**) {
    struct Case {
        const char* path;
        const char* relative;
        const char* type;
    } cases[] = {
        {"/index.html", "index.html", "text/html; charset=utf-8"},
        {"/app.js", "app.js", "text/javascript; charset=utf-8"},
        {"/style.css", "style.css", "text/css; charset=utf-8"},
        {"/img/logo.svg", "img/logo.svg", "image/svg+xml"},
        {"/favicon.ico", "favicon.ico", "image/x-icon"},
        {"/a/b/c/d.png", "a/b/c/d.png", "image/png"},
    };
    for (const Case& c : cases) {
        auto file = resolveStaticFile(c.path);
        assert_true(file.has_value());
        assert_string_equal(file->relativePath.c_str(), c.relative);
        assert_string_equal(file->contentType, c.type);
    }
}

void unsafe_or_unknown_paths_are_refused(void**) {
    const char* refused[] = {
        "",                    // no path
        "index.html",          // not absolute
        "/../etc/passwd.txt",  // parent
        "/a/../app.js",
        "/./app.js",
        "/.hidden.js",  // hidden file
        "/.git/config.txt",
        "//app.js",     // empty segment
        "/demo/",       // directory: no listing
        "/a\\b.js",     // backslash
        "/app.js?x=1",  // query strings never reach here
        "/app%2e.js",   // still encoded
        "/app.js\n",
        "/janus.transport.gochat.ws.jcfg",  // unknown type
        "/Makefile",
        "/.js",
        "/a/b/c/d/e.js",  // too deep
    };
    for (const char* path : refused) {
        if (resolveStaticFile(path).has_value()) fail_msg("served %s", path);
    }
    assert_false(resolveStaticFile(std::string("/a\0.js", 6)).has_value());
    assert_false(resolveStaticFile("/" + std::string(300, 'a') + ".js").has_value());
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(web_is_on_by_default_from_the_installed_demo_dir),
        cmocka_unit_test(web_settings_are_validated),
        cmocka_unit_test(web_settings_are_applied),
        cmocka_unit_test(root_is_the_index_page),
        cmocka_unit_test(demo_files_get_their_content_type),
        cmocka_unit_test(unsafe_or_unknown_paths_are_refused),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
