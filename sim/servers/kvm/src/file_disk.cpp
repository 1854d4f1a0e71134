#include "ptv/servers/kvm/file_disk.hpp"

#include <fmt/format.h>

#include <cstring>
#include <stdexcept>

#include "ptv/common/error.hpp"
#include "ptv/portmap.h"

namespace ptv::servers::kvm {

namespace {

constexpr size_t kSector = PTV_ATA_SECTOR_SIZE;

void put32(std::vector<uint8_t>& image, size_t at, uint32_t v) {
    std::memcpy(image.data() + at, &v, 4);
}

uint32_t get32(const std::vector<uint8_t>& image, size_t at) {
    uint32_t v;
    std::memcpy(&v, image.data() + at, 4);
    return v;
}

size_t sectors(size_t bytes) {
    return (bytes + kSector - 1) / kSector;
}

}  // namespace

std::vector<uint8_t> file_disk_image(const std::vector<DiskFile>& files) {
    static_assert(PTV_FILEDISK_OFF_ENTRY + PTV_FILEDISK_MAX_FILES * PTV_FILEDISK_ENTRY_SIZE <=
                  kSector);
    if (files.empty() || files.size() > PTV_FILEDISK_MAX_FILES)
        throw UsageError(fmt::format("{} files: the guest's disk holds 1 to {}", files.size(),
                                     PTV_FILEDISK_MAX_FILES));
    size_t total = 1;  // the directory
    for (const DiskFile& f : files) {
        if (f.name.empty() || f.name.size() > PTV_FILEDISK_NAME_MAX ||
            f.name.find_first_of("/ \t\n\r") != std::string::npos ||
            f.name.find('\0') != std::string::npos)
            throw UsageError(fmt::format("file name '{}': give 1 to {} bytes with no '/' or blank",
                                         f.name, PTV_FILEDISK_NAME_MAX));
        total += sectors(f.body.size());
    }
    std::vector<uint8_t> image(total * kSector, 0);
    put32(image, PTV_FILEDISK_OFF_MAGIC, PTV_FILEDISK_MAGIC);
    put32(image, PTV_FILEDISK_OFF_COUNT, uint32_t(files.size()));
    size_t lba = 1;
    for (size_t i = 0; i < files.size(); ++i) {
        const size_t e = PTV_FILEDISK_OFF_ENTRY + i * PTV_FILEDISK_ENTRY_SIZE;
        std::memcpy(image.data() + e + PTV_FILEDISK_ENTRY_NAME, files[i].name.data(),
                    files[i].name.size());
        put32(image, e + PTV_FILEDISK_ENTRY_LBA, uint32_t(lba));
        put32(image, e + PTV_FILEDISK_ENTRY_BYTES, uint32_t(files[i].body.size()));
        std::memcpy(image.data() + lba * kSector, files[i].body.data(), files[i].body.size());
        lba += sectors(files[i].body.size());
    }
    return image;
}

std::vector<DiskFile> read_file_disk(const std::vector<uint8_t>& image) {
    if (image.size() < kSector || get32(image, PTV_FILEDISK_OFF_MAGIC) != PTV_FILEDISK_MAGIC)
        throw std::runtime_error("not a file disk: no directory in sector 0");
    const uint32_t count = get32(image, PTV_FILEDISK_OFF_COUNT);
    if (count > PTV_FILEDISK_MAX_FILES)
        throw std::runtime_error(fmt::format("a directory of {} files", count));
    std::vector<DiskFile> files;
    for (uint32_t i = 0; i < count; ++i) {
        const size_t e = PTV_FILEDISK_OFF_ENTRY + size_t(i) * PTV_FILEDISK_ENTRY_SIZE;
        const char* name = reinterpret_cast<const char*>(image.data() + e);
        DiskFile f{std::string(name, strnlen(name, PTV_FILEDISK_NAME_MAX)), {}};
        const uint64_t lba = get32(image, e + PTV_FILEDISK_ENTRY_LBA);
        const uint64_t bytes = get32(image, e + PTV_FILEDISK_ENTRY_BYTES);
        if (lba * kSector + bytes > image.size())
            throw std::runtime_error(fmt::format("file {} runs past the disk", f.name));
        f.body.assign(reinterpret_cast<const char*>(image.data() + lba * kSector), bytes);
        files.push_back(std::move(f));
    }
    return files;
}

}  // namespace ptv::servers::kvm
