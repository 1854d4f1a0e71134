// The directory every conformance check serves: files with known contents,
// and traps (a FIFO, links leading outside) that a server must refuse.
#pragma once

#include <string>
#include <string_view>

namespace ptv::servers::conformance {

// A temporary directory, removed with everything in it by the destructor:
//   root/index.html        kIndexHtml
//   root/small.txt         kSmallText
//   root/with space.txt    "spaced\n"
//   root/big.bin           4 MiB of a repeating pattern ("ABC...Z" again and again)
//   root/sub/a.txt         "a\n" (sub/ has no index.html)
//   root/sub/b&<i>.txt     "b\n" (a name to escape in a listing)
//   root/sub/.hidden       "hidden\n" (never listed)
//   root/sub/deeper/       an empty directory
//   root/docs/index.html   kDocsIndexHtml (a relative link: /docs must move to /docs/)
//   root/fifo              a named pipe (opening it must not hang the server)
//   root/up                symbolic link to ../outside.txt
//   root/passwd            symbolic link to /etc/passwd
//   outside.txt            "outside\n" (must never be served)
struct ServedTree {
    ServedTree();
    ~ServedTree();
    ServedTree(const ServedTree&) = delete;
    ServedTree& operator=(const ServedTree&) = delete;

    std::string base;  // the temporary directory
    std::string root;  // base + "/root": what the server serves
    static constexpr std::string_view kIndexHtml = "<h1>ptvlab</h1>\n";
    static constexpr std::string_view kSmallText = "small file, served\n";
    static constexpr std::string_view kDocsIndexHtml = "<a href=\"page.html\">page</a>\n";
    static constexpr size_t kBigBytes = 4 << 20;
};

}  // namespace ptv::servers::conformance
