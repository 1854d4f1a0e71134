#include "ptv/devices/disk_image.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "ptv/common/error.hpp"

namespace ptv::devices {

namespace {
constexpr uint64_t kSector = PTV_ATA_SECTOR_SIZE;
}

std::shared_ptr<DiskImage> DiskImage::simulated(uint32_t sectors) {
    std::shared_ptr<DiskImage> d(new DiskImage);
    d->sectors_ = sectors;
    return d;
}

std::shared_ptr<DiskImage> DiskImage::open(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0)
        throw UsageError(fmt::format(
            "disk image {}: cannot open it for reading and writing ({}); give an existing image "
            "file you may write",
            path, std::strerror(errno)));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
        uint64_t(st.st_size) % kSector != 0) {
        const long long size = S_ISREG(st.st_mode) ? (long long)st.st_size : -1;
        ::close(fd);
        throw UsageError(size < 0 ? fmt::format("disk image {}: not a regular file; give an "
                                                "image file",
                                                path)
                                  : fmt::format("disk image {}: its size, {} bytes, is not a "
                                                "positive multiple of {}; give a whole number "
                                                "of sectors (truncate -s)",
                                                path, size, kSector));
    }
    std::shared_ptr<DiskImage> d(new DiskImage);
    d->fd_ = fd;
    d->path_ = path;
    d->sectors_ = uint64_t(st.st_size) / kSector;
    return d;
}

DiskImage::~DiskImage() {
    if (fd_ >= 0) ::close(fd_);
}

void DiskImage::check(uint64_t lba, uint32_t count, size_t bytes) const {
    if (lba > sectors_ || sectors_ - lba < count || bytes < count * kSector)
        throw std::out_of_range(
            fmt::format("disk: {} sector(s) at LBA {} into {} bytes, on a disk of {} sectors",
                        count, lba, bytes, sectors_));
}

void DiskImage::read(uint64_t lba, uint32_t count, std::span<uint8_t> out) {
    check(lba, count, out.size());
    const size_t bytes = count * kSector;
    if (fd_ < 0) {
        std::lock_guard lock(lock_);
        for (uint64_t s = lba; s < lba + count; ++s) {
            uint8_t* to = out.data() + (s - lba) * kSector;
            if (auto it = written_.find(s); it != written_.end()) {
                std::memcpy(to, it->second.data(), kSector);
                continue;
            }
            for (uint32_t w = 0; w < kSector / 4; ++w) {
                const uint32_t word = PTV_PVDISK_SIM_WORD(uint32_t(s), w);
                std::memcpy(to + 4 * w, &word, 4);
            }
        }
        return;
    }
    for (size_t done = 0; done < bytes;) {
        const ssize_t n =
            ::pread(fd_, out.data() + done, bytes - done, off_t(lba * kSector + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0)
            throw std::runtime_error(fmt::format("disk image {}: read failed at LBA {}: {}", path_,
                                                 lba,
                                                 n < 0 ? std::strerror(errno) : "end of file"));
        done += size_t(n);
    }
}

void DiskImage::write(uint64_t lba, uint32_t count, std::span<const uint8_t> in) {
    check(lba, count, in.size());
    const size_t bytes = count * kSector;
    if (fd_ < 0) {
        std::lock_guard lock(lock_);
        for (uint64_t s = lba; s < lba + count; ++s)
            std::memcpy(written_[s].data(), in.data() + (s - lba) * kSector, kSector);
        return;
    }
    for (size_t done = 0; done < bytes;) {
        const ssize_t n =
            ::pwrite(fd_, in.data() + done, bytes - done, off_t(lba * kSector + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0)
            throw std::runtime_error(fmt::format("disk image {}: write failed at LBA {}: {}", path_,
                                                 lba, std::strerror(errno)));
        done += size_t(n);
    }
}

std::string DiskImage::describe() const {
    return fd_ < 0 ? fmt::format("built-in, {} sectors", sectors_) : path_;
}

}  // namespace ptv::devices
