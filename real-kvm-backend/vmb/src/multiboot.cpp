#include "ptv/vmb/multiboot.hpp"

#include <elf.h>
#include <fmt/format.h>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "ptv/common/error.hpp"
#include "ptv/portmap.h"

namespace ptv::vmb {

namespace {

// The header must lie, 4-byte aligned, within the first 8192 bytes (spec 3.1.1).
constexpr size_t kSearchLimit = 8192;
// Flag bits 0..15 are requirements: a loader that cannot meet one must refuse.
// 0: page-align modules (we load none), 1: memory info (we give it),
// 2: video mode (we have no framebuffer; like QEMU we boot in text mode).
constexpr uint32_t kKnownRequirements = 0x7;

uint32_t le32(std::span<const uint8_t> b, size_t off) {
    uint32_t v;
    std::memcpy(&v, b.data() + off, 4);
    return v;
}

[[noreturn]] void bad(const std::string& name, const std::string& why) {
    throw UsageError(fmt::format("'{}' is not a bootable multiboot v1 image: {}", name, why));
}

void finish(MultibootImage& img, const std::string& name) {
    if (img.segments.empty()) bad(name, "it has nothing to load");
    img.lowest = UINT32_MAX;
    img.highest = 0;
    for (const auto& s : img.segments) {
        img.lowest = std::min(img.lowest, s.address);
        img.highest = std::max<uint64_t>(img.highest, uint64_t(s.address) + s.memory_size);
    }
    bool entry_inside = std::any_of(img.segments.begin(), img.segments.end(), [&](auto& s) {
        return img.entry >= s.address && img.entry < uint64_t(s.address) + s.memory_size;
    });
    if (!entry_inside)
        bad(name, fmt::format("its entry point {:#x} lies outside everything it loads", img.entry));
}

void parse_address_fields(MultibootImage& img, std::span<const uint8_t> file,
                          const std::string& name) {
    const size_t h = img.header_offset;
    if (file.size() < h + 32) bad(name, "the header's address fields are cut off");
    const uint32_t header_addr = le32(file, h + 12), load_addr = le32(file, h + 16),
                   load_end = le32(file, h + 20), bss_end = le32(file, h + 24);
    img.entry = le32(file, h + 28);
    // header_addr is where the header itself lands; the file offset of
    // load_addr follows from it (spec 3.1.3).
    if (header_addr < load_addr || header_addr - load_addr > h)
        bad(name, fmt::format("header_addr {:#x} and load_addr {:#x} do not match the header's "
                              "place in the file (offset {:#x})",
                              header_addr, load_addr, h));
    const uint32_t file_offset = uint32_t(h - (header_addr - load_addr));
    const uint64_t file_size =
        load_end == 0 ? file.size() - file_offset : uint64_t(load_end) - load_addr;
    if (load_end != 0 && load_end < load_addr)
        bad(name, fmt::format("load_end_addr {:#x} is below load_addr {:#x}", load_end, load_addr));
    if (file_offset + file_size > file.size())
        bad(name, fmt::format("it says to load {} bytes but the file holds only {} after the "
                              "load offset; is it truncated?",
                              file_size, file.size() - file_offset));
    uint64_t mem_size = file_size;
    if (bss_end != 0) {
        if (bss_end < load_addr + file_size)
            bad(name, fmt::format("bss_end_addr {:#x} is below the end of the loaded text {:#x}",
                                  bss_end, load_addr + file_size));
        mem_size = bss_end - load_addr;
    }
    img.format = "multiboot (address fields)";
    img.segments.push_back({load_addr, file_offset, uint32_t(file_size), uint32_t(mem_size)});
}

void parse_elf(MultibootImage& img, std::span<const uint8_t> file, const std::string& name) {
    if (file.size() < sizeof(Elf32_Ehdr) || std::memcmp(file.data(), ELFMAG, SELFMAG) != 0)
        bad(name, "its header has no address fields (flag bit 16) and the file is not ELF");
    Elf32_Ehdr eh;
    std::memcpy(&eh, file.data(), sizeof eh);
    if (eh.e_ident[EI_CLASS] != ELFCLASS32 || eh.e_machine != EM_386)
        bad(name, "it is ELF but not ELF32 for i386; a multiboot v1 kernel is a 32-bit image");
    if (eh.e_phentsize != sizeof(Elf32_Phdr) ||
        uint64_t(eh.e_phoff) + uint64_t(eh.e_phnum) * sizeof(Elf32_Phdr) > file.size())
        bad(name, "its ELF program headers are cut off or malformed");
    img.format = "multiboot (ELF32)";
    img.entry = eh.e_entry;
    for (unsigned i = 0; i < eh.e_phnum; ++i) {
        Elf32_Phdr ph;
        std::memcpy(&ph, file.data() + eh.e_phoff + i * sizeof ph, sizeof ph);
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0) continue;
        if (ph.p_filesz > ph.p_memsz || uint64_t(ph.p_offset) + ph.p_filesz > file.size())
            bad(name, fmt::format("ELF segment {} points outside the file", i));
        // Multiboot loaders place segments at their physical address.
        img.segments.push_back({ph.p_paddr, ph.p_offset, ph.p_filesz, ph.p_memsz});
    }
}

}  // namespace

MultibootImage parse_multiboot(std::span<const uint8_t> file, const std::string& name) {
    MultibootImage img;
    bool found = false;
    const size_t limit = std::min(file.size(), kSearchLimit);
    for (size_t off = 0; off + 12 <= limit; off += 4) {
        const uint32_t magic = le32(file, off), flags = le32(file, off + 4),
                       checksum = le32(file, off + 8);
        if (magic == PTV_MULTIBOOT_HEADER_MAGIC && uint32_t(magic + flags + checksum) == 0) {
            img.header_offset = uint32_t(off);
            img.flags = flags;
            found = true;
            break;
        }
    }
    if (!found)
        bad(name, fmt::format("no multiboot header (magic {:#x} with a valid checksum) in its "
                              "first 8 KiB",
                              PTV_MULTIBOOT_HEADER_MAGIC));
    if (uint32_t unknown = img.flags & 0xffff & ~kKnownRequirements)
        bad(name, fmt::format("it requires multiboot features this loader does not know (flag "
                              "bits {:#x})",
                              unknown));
    if (img.flags & PTV_MULTIBOOT_AOUT_KLUDGE)
        parse_address_fields(img, file, name);
    else
        parse_elf(img, file, name);
    finish(img, name);
    return img;
}

void load_multiboot(const MultibootImage& image, std::span<const uint8_t> file,
                    std::span<uint8_t> ram, const std::string& name) {
    if (image.lowest < PTV_BOOT_AREA_END)
        throw UsageError(fmt::format(
            "'{}' loads at {:#x}, inside the loader's boot area (below {:#x}); link it at 1 MiB "
            "(0x100000) as multiboot kernels usually are",
            name, image.lowest, PTV_BOOT_AREA_END));
    if (image.highest > ram.size()) {
        const uint64_t need_mib = (image.highest + (1 << 20) - 1) >> 20;
        throw UsageError(fmt::format(
            "'{}' needs memory up to {:#x} ({} MiB) but the guest has {} MiB; run it with "
            "--memory {} or more",
            name, image.highest, need_mib, ram.size() >> 20, need_mib));
    }
    for (const auto& s : image.segments) {
        std::memcpy(ram.data() + s.address, file.data() + s.file_offset, s.file_size);
        std::memset(ram.data() + s.address + s.file_size, 0, s.memory_size - s.file_size);
    }
}

std::vector<uint8_t> read_image_file(const std::string& path) {
    // No guest we can boot is larger than the largest RAM we give one.
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (!ec && size > (uint64_t(PTV_RAM_MAX_MIB) << 20))
        throw UsageError(fmt::format("'{}' is {} MiB, larger than any guest memory ({} MiB); is it "
                                     "really a multiboot kernel?",
                                     path, size >> 20, PTV_RAM_MAX_MIB));
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw UsageError(
            fmt::format("cannot read guest image '{}': {}; give a guest name (see "
                        "'ptv kvm guests') or the path of a multiboot image",
                        path, std::strerror(errno)));
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace ptv::vmb
