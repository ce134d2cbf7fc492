// Modules in the text format for the unit tests: assembled with wabt's wat2wasm at test time
// (installed by scripts/install-deps.sh; tests that need it skip if it is missing).
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace wbpf::test {

inline bool have_wat2wasm() {
    static const bool found = std::system("wat2wasm --version >/dev/null 2>&1") == 0;
    return found;
}

/// Assembles `text` with wat2wasm in a private temporary directory; throws with wat2wasm's
/// messages if the text does not assemble.
inline std::vector<uint8_t> assemble(const std::string& text) {
    char dir_template[] = "/tmp/wbpf-wat-XXXXXX";
    const char* dir = mkdtemp(dir_template);
    if (!dir) throw std::runtime_error("mkdtemp failed");
    const std::string wat = std::string(dir) + "/m.wat", wasm = std::string(dir) + "/m.wasm";
    const std::string log = std::string(dir) + "/log";
    std::ofstream(wat) << text;
    const std::string cmd = "wat2wasm '" + wat + "' -o '" + wasm + "' >'" + log + "' 2>&1";
    const int status = std::system(cmd.c_str());
    std::ifstream in(wasm, std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
    std::ifstream log_in(log);
    std::string log_text((std::istreambuf_iterator<char>(log_in)), {});
    std::remove(wat.c_str());
    std::remove(wasm.c_str());
    std::remove(log.c_str());
    rmdir(dir);
    if (status != 0) throw std::runtime_error("wat2wasm failed: " + log_text);
    return bytes;
}

} // namespace wbpf::test
