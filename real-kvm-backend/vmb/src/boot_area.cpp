#include "ptv/vmb/boot_area.hpp"

#include <algorithm>
#include <cstring>

#include "ptv/common/error.hpp"

namespace ptv::vmb {

namespace {

// Multiboot information flags (spec 3.3).
constexpr uint32_t kInfoMemory = 1u << 0;
constexpr uint32_t kInfoCmdline = 1u << 2;
constexpr uint32_t kInfoMmap = 1u << 6;
constexpr uint32_t kInfoLoaderName = 1u << 9;

// Top of conventional memory: the EBDA and the legacy VGA/ROM hole follow.
constexpr uint64_t kConventionalEnd = 0x9fc00;
constexpr uint64_t kHighMemory = 0x100000;

// A segment descriptor (Intel SDM vol. 3, figure 3-8).
uint64_t descriptor(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags) {
    return (uint64_t(limit) & 0xffff) | (uint64_t(base) & 0xffffff) << 16 | uint64_t(access) << 40 |
           (uint64_t(limit >> 16) & 0xf) << 48 | uint64_t(flags & 0xf) << 52 |
           uint64_t(base >> 24) << 56;
}

template <class T>
void put(std::span<uint8_t> ram, uint64_t addr, const T& value) {
    std::memcpy(ram.data() + addr, &value, sizeof value);
}

}  // namespace

void write_boot_area(std::span<uint8_t> ram, const std::string& cmdline) {
    // GDT: null, flat code (exec/read), flat data (read/write), 32-bit TSS.
    put(ram, PTV_BOOT_GDT + 0x00, uint64_t(0));
    put(ram, PTV_BOOT_GDT + PTV_GDT_CODE_SEL, descriptor(0, 0xfffff, 0x9b, 0xc));
    put(ram, PTV_BOOT_GDT + PTV_GDT_DATA_SEL, descriptor(0, 0xfffff, 0x93, 0xc));
    put(ram, PTV_BOOT_GDT + PTV_GDT_TSS_SEL, descriptor(kBootTss, kBootTssLimit, 0x8b, 0x0));
    std::memset(ram.data() + kBootTss, 0, kBootTssLimit + 1);

    // Memory map: the boot area is ours, the rest of low and high memory is
    // the guest's. Entries are {u32 size, u64 base, u64 length, u32 type},
    // size not counting itself (spec 3.3).
    struct [[gnu::packed]] MmapEntry {
        uint32_t size;
        uint64_t base, length;
        uint32_t type;  // 1 = available RAM, 2 = reserved
    };
    const MmapEntry map[] = {
        {20, 0, PTV_BOOT_AREA_END, 2},
        {20, PTV_BOOT_AREA_END, kConventionalEnd - PTV_BOOT_AREA_END, 1},
        {20, kHighMemory, ram.size() - kHighMemory, 1},
    };
    put(ram, PTV_BOOT_MMAP, map);

    const char loader[] = "ptvlab ptv-vmwp";
    std::memcpy(ram.data() + PTV_BOOT_LOADER_NAME, loader, sizeof loader);

    if (cmdline.size() >= PTV_BOOT_CMDLINE_MAX)
        throw UsageError("the guest command line is longer than 3 KiB; shorten --cmdline");
    std::memcpy(ram.data() + PTV_BOOT_CMDLINE, cmdline.c_str(), cmdline.size() + 1);

    // The multiboot information structure (spec 3.3), fields by offset.
    uint32_t info[22] = {};
    info[0] = kInfoMemory | kInfoCmdline | kInfoMmap | kInfoLoaderName;
    info[1] = uint32_t(kConventionalEnd / 1024);            // mem_lower, KiB
    info[2] = uint32_t((ram.size() - kHighMemory) / 1024);  // mem_upper, KiB
    info[4] = PTV_BOOT_CMDLINE;                             // cmdline
    info[11] = sizeof map;                                  // mmap_length
    info[12] = PTV_BOOT_MMAP;                               // mmap_addr
    info[16] = PTV_BOOT_LOADER_NAME;                        // boot_loader_name
    put(ram, PTV_BOOT_INFO, info);
}

}  // namespace ptv::vmb
