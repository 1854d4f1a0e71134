// Multiboot images made byte by byte, for tests of the loader with images
// that none of our NASM guests look like ("any multiboot image").
#pragma once

#include <cstdint>
#include <cstring>
#include <iterator>
#include <vector>

#include "ptv/portmap.h"

namespace ptv::test {

struct FlatImage {
    uint32_t load_addr = 0x200000;
    uint32_t header_offset = 64;  // the header need not come first
    uint32_t bss = 0x1000;
    uint32_t flags = PTV_MULTIBOOT_AOUT_KLUDGE | 0x2;
    bool bad_checksum = false;
    // Code: write 'X' then '\n' to COM1, then cli; hlt.
    static constexpr uint8_t kCode[] = {
        0x66, 0xba, 0xf8, 0x03,  // mov dx, 0x3f8
        0xb0, 'X',               // mov al, 'X'
        0xee,                    // out dx, al
        0xb0, '\n',              // mov al, '\n'
        0xee,                    // out dx, al
        0xfa,                    // cli
        0xf4,                    // hlt
    };
    std::vector<uint8_t> code{std::begin(kCode), std::end(kCode)};

    std::vector<uint8_t> bytes() const {
        const uint32_t code_offset = header_offset + 32;
        std::vector<uint8_t> f(code_offset + code.size(), 0x90);
        auto put = [&](uint32_t off, uint32_t v) { std::memcpy(&f[off], &v, 4); };
        put(header_offset, PTV_MULTIBOOT_HEADER_MAGIC);
        put(header_offset + 4, flags);
        put(header_offset + 8, uint32_t(-(PTV_MULTIBOOT_HEADER_MAGIC + flags)) + bad_checksum);
        put(header_offset + 12, load_addr + header_offset);             // header_addr
        put(header_offset + 16, load_addr);                             // load_addr
        put(header_offset + 20, load_addr + uint32_t(f.size()));        // load_end_addr
        put(header_offset + 24, load_addr + uint32_t(f.size()) + bss);  // bss_end_addr
        put(header_offset + 28, load_addr + code_offset);               // entry_addr
        std::memcpy(&f[code_offset], code.data(), code.size());
        return f;
    }
};

}  // namespace ptv::test
