// Multiboot v1 images (Multiboot Specification 0.6.96, section 3.1): the
// header in the first 8 KiB, then either the address fields (flag bit 16,
// the flat "a.out kludge" format that `qemu-system-x86_64 -kernel` also
// boots) or, without them, the ELF32 program headers. Parsing is pure: it
// works on bytes and never touches KVM, so it is unit-tested on its own.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace ptv::vmb {

struct MultibootImage {
    struct Segment {
        uint32_t address;      // guest-physical load address
        uint32_t file_offset;  // where its bytes start in the file
        uint32_t file_size;    // bytes copied from the file
        uint32_t memory_size;  // bytes it occupies (the rest is zeroed: bss)
    };
    std::string format;  // "multiboot (address fields)" or "multiboot (ELF32)"
    uint32_t header_offset = 0;
    uint32_t flags = 0;
    uint32_t entry = 0;
    std::vector<Segment> segments;
    uint32_t lowest = 0;   // lowest loaded address
    uint64_t highest = 0;  // one past the highest loaded byte (bss included)
};

// Parses an image; `name` is used in messages. Throws ptv::UsageError with
// one line saying what is wrong with the file.
MultibootImage parse_multiboot(std::span<const uint8_t> file, const std::string& name);

// Copies the segments into guest RAM (zeroing bss). Throws ptv::UsageError
// if the image does not fit, or overlaps the loader's boot area.
void load_multiboot(const MultibootImage& image, std::span<const uint8_t> file,
                    std::span<uint8_t> ram, const std::string& name);

// Reads a whole file; throws ptv::UsageError if it cannot.
std::vector<uint8_t> read_image_file(const std::string& path);

}  // namespace ptv::vmb
