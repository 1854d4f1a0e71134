// The file server guest's disk: the files a host server would serve from a
// directory, laid out for a guest with no file system but the PV disk --
// a directory in sector 0 and each file's bytes contiguous after it
// (PTV_FILEDISK_* in guests/include/ptv/portmap.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ptv::servers::kvm {

struct DiskFile {
    std::string name;  // 1 to PTV_FILEDISK_NAME_MAX bytes, no '/', no blank
    std::string body;
};

// The disk image: whole sectors. Throws ptv::UsageError for too many files
// or a name the directory cannot hold.
std::vector<uint8_t> file_disk_image(const std::vector<DiskFile>& files);

// The files of an image made by file_disk_image (the host's view, for
// checking); throws std::runtime_error when the directory is not one.
std::vector<DiskFile> read_file_disk(const std::vector<uint8_t>& image);

}  // namespace ptv::servers::kvm
