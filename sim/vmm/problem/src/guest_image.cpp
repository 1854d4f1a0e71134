// A guest made of snippets (guest_image.hpp), laid out as the NASM guests
// are (guests/include/multiboot.inc): a multiboot v1 header with the address
// fields, the code after it, loaded at 1 MiB.
#include "ptv/vmm/problem/guest_image.hpp"

#include <cstring>

namespace ptv::vmm::problem {

namespace {

constexpr uint32_t kLoad = 0x100000;
constexpr uint32_t kCode = kLoad + 0x20;  // after the header
constexpr uint32_t kImageSize = 0x1000;   // holds kScratch
constexpr uint32_t kStack = 0x200000;

void put32(std::vector<uint8_t>& img, uint32_t at, uint32_t v) {
    std::memcpy(img.data() + (at - kLoad), &v, 4);
}

void append(std::vector<uint8_t>& code, const std::vector<uint8_t>& bytes) {
    code.insert(code.end(), bytes.begin(), bytes.end());
}

}  // namespace

GuestImage build_guest(const std::vector<const Snippet*>& parts, bool with_instructions) {
    GuestImage g;
    std::vector<uint8_t> code = {0xbc, 0x00, 0x00, 0x20, 0x00};
    static_assert(kStack == 0x200000, "the mov esp above");
    g.source.push_back("mov esp, 0x200000");
    for (const Snippet* s : parts) {
        if (!s->setup.empty()) {
            append(code, s->setup_bytes);
            g.source.push_back(s->setup);
        }
        if (!with_instructions) continue;
        append(code, s->instruction_bytes);
        g.source.push_back(s->instruction);
        if (!s->reveal.empty()) {
            append(code, s->reveal_bytes);
            g.source.push_back(s->reveal);
        }
    }
    // The debug-exit port (guests/include/ptv/portmap.h): status 0 ends the run.
    append(code, {0x66, 0xba, 0x01, 0x05, 0x30, 0xc0, 0xee, 0xfa, 0xf4});
    g.source.push_back("mov dx, 0x501 ; xor al, al ; out dx, al   (the debug-exit port: the end)");

    g.image.assign(kImageSize, 0);
    constexpr uint32_t kMagic = 0x1badb002, kFlags = 0x10000;  // address fields valid
    put32(g.image, kLoad, kMagic);
    put32(g.image, kLoad + 4, kFlags);
    put32(g.image, kLoad + 8, uint32_t(-(kMagic + kFlags)));
    put32(g.image, kLoad + 12, kLoad);
    put32(g.image, kLoad + 16, kLoad);
    put32(g.image, kLoad + 20, 0);
    put32(g.image, kLoad + 24, kLoad + kImageSize);
    put32(g.image, kLoad + 28, kCode);
    std::memcpy(g.image.data() + (kCode - kLoad), code.data(), code.size());
    return g;
}

}  // namespace ptv::vmm::problem
