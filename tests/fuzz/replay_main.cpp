// Replays saved fuzz inputs through a fuzz target's LLVMFuzzerTestOneInput,
// without libFuzzer or clang: `make check` builds one of these per target
// with the ordinary compiler, so every crash ever found stays fixed.
//
//   tests/bin/fuzz_replay_<target> [FILE|DIR]...
// With no argument it replays $srcdir/tests/fuzz/regressions/<target>/ and
// $srcdir/tests/fuzz/corpus/<target>/ (srcdir defaults to ".").
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#ifndef FUZZ_TARGET_NAME
#error "FUZZ_TARGET_NAME must name the target (its tests/fuzz/corpus/ directory)"
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

bool isDirectory(const std::string& path) {
    struct stat info;
    return stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

void collect(const std::string& path, std::vector<std::string>& files) {
    if (!isDirectory(path)) {
        files.push_back(path);
        return;
    }
    DIR* dir = opendir(path.c_str());
    if (!dir) return;
    std::vector<std::string> names;
    while (const dirent* entry = readdir(dir)) {
        const std::string name = entry->d_name;
        if (name.empty() || name[0] == '.' || name == "README" || name == "README.md") continue;
        names.push_back(path + "/" + name);
    }
    closedir(dir);
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) collect(name, files);
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> roots;
    for (int i = 1; i < argc; ++i) roots.emplace_back(argv[i]);
    const bool defaults = roots.empty();
    if (defaults) {
        const char* srcdir = std::getenv("srcdir");
        const std::string base = std::string(srcdir && *srcdir ? srcdir : ".") + "/tests/fuzz/";
        roots.push_back(base + "regressions/" FUZZ_TARGET_NAME);
        roots.push_back(base + "corpus/" FUZZ_TARGET_NAME);
    }
    std::vector<std::string> files;
    for (const std::string& root : roots) {
        // git keeps no empty directory: a target without regressions yet has none.
        if (defaults && !isDirectory(root)) continue;
        if (!isDirectory(root) && !std::ifstream(root)) {
            std::fprintf(stderr, "fuzz_replay_%s: %s: not found\n", FUZZ_TARGET_NAME, root.c_str());
            return 1;
        }
        collect(root, files);
    }
    size_t passed = 0;
    for (const std::string& file : files) {
        std::ifstream in(file, std::ios::binary);
        if (!in) {
            std::fprintf(stderr, "fuzz_replay_%s: cannot read %s\n", FUZZ_TARGET_NAME, file.c_str());
            return 1;
        }
        const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        std::printf("replay %s (%zu bytes)\n", file.c_str(), bytes.size());
        std::fflush(stdout);
        // A crash or a failed invariant aborts the process: the test fails.
        LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
        ++passed;
    }
    std::printf("%zu passed, 0 failed\n", passed);
    return passed > 0 ? 0 : 1;
}
