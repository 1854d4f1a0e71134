// The served directory (see served_tree.hpp).
#include "ptv/servers/conformance/served_tree.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace ptv::servers::conformance {

namespace {

void write_file(const std::string& path, std::string_view text) {
    std::ofstream f(path, std::ios::binary);
    f.write(text.data(), std::streamsize(text.size()));
    if (!f) throw std::runtime_error("cannot write " + path);
}

}  // namespace

ServedTree::ServedTree() {
    std::string tmpl = (fs::temp_directory_path() / "ptv-served-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed in " + tmpl);
    base = tmpl;
    root = base + "/root";
    fs::create_directories(root + "/sub");
    write_file(root + "/index.html", kIndexHtml);
    write_file(root + "/small.txt", kSmallText);
    write_file(root + "/with space.txt", "spaced\n");
    std::string big(kBigBytes, '\0');
    for (size_t i = 0; i < big.size(); ++i) big[i] = char('A' + i % 26);
    write_file(root + "/big.bin", big);
    write_file(root + "/sub/a.txt", "a\n");
    write_file(root + "/sub/b&<i>.txt", "b\n");
    write_file(root + "/sub/.hidden", "hidden\n");
    fs::create_directories(root + "/sub/deeper");
    fs::create_directories(root + "/docs");
    write_file(root + "/docs/index.html", kDocsIndexHtml);
    mkfifo((root + "/fifo").c_str(), 0644);
    write_file(base + "/outside.txt", "outside\n");
    fs::create_symlink("../outside.txt", root + "/up");
    fs::create_symlink("/etc/passwd", root + "/passwd");
}

ServedTree::~ServedTree() {
    std::error_code ec;
    fs::remove_all(base, ec);
}

}  // namespace ptv::servers::conformance
