// The file server guest's disk: the directory in sector 0 and the files
// after it, byte for byte where portmap.h says they are; and the names and
// counts the directory cannot hold refused with one line.
#include <doctest/doctest.h>

#include <cstring>

#include "ptv/common/error.hpp"
#include "ptv/portmap.h"
#include "ptv/servers/kvm/file_disk.hpp"

using namespace ptv::servers::kvm;

namespace {

uint32_t word(const std::vector<uint8_t>& image, size_t at) {
    uint32_t v;
    std::memcpy(&v, image.data() + at, 4);
    return v;
}

}  // namespace

TEST_CASE("file disk: the directory names each file's first sector and length") {
    const std::vector<DiskFile> files = {{"a.txt", std::string(10, 'a')},
                                         {"sixteen-bytes-ab", std::string(513, 'b')},
                                         {"empty", ""},
                                         {"c", std::string(1024, 'c')}};
    const auto image = file_disk_image(files);
    // 1 directory sector, then 1 + 2 + 0 + 2 sectors of files.
    CHECK(image.size() == 6 * 512);
    CHECK(word(image, PTV_FILEDISK_OFF_MAGIC) == PTV_FILEDISK_MAGIC);
    CHECK(word(image, PTV_FILEDISK_OFF_COUNT) == 4);
    const uint32_t lbas[] = {1, 2, 4, 4}, sizes[] = {10, 513, 0, 1024};
    for (size_t i = 0; i < 4; ++i) {
        CAPTURE(i);
        const size_t e = PTV_FILEDISK_OFF_ENTRY + i * PTV_FILEDISK_ENTRY_SIZE;
        CHECK(word(image, e + PTV_FILEDISK_ENTRY_LBA) == lbas[i]);
        CHECK(word(image, e + PTV_FILEDISK_ENTRY_BYTES) == sizes[i]);
        CHECK(std::memcmp(image.data() + e, files[i].name.data(), files[i].name.size()) == 0);
        CHECK(std::memcmp(image.data() + lbas[i] * 512, files[i].body.data(), sizes[i]) == 0);
    }
    // A 16-byte name fills its field, with no NUL.
    CHECK(image[PTV_FILEDISK_OFF_ENTRY + PTV_FILEDISK_ENTRY_SIZE + 15] == 'b');
    // What the host reads back is what it wrote.
    const auto back = read_file_disk(image);
    REQUIRE(back.size() == 4);
    for (size_t i = 0; i < 4; ++i) {
        CHECK(back[i].name == files[i].name);
        CHECK(back[i].body == files[i].body);
    }
}

TEST_CASE("file disk: what the directory cannot hold is refused") {
    CHECK_THROWS_WITH_AS(file_disk_image({}), "0 files: the guest's disk holds 1 to 15",
                         ptv::UsageError);
    std::vector<DiskFile> many(16, DiskFile{"f", "x"});
    CHECK_THROWS_WITH_AS(file_disk_image(many), "16 files: the guest's disk holds 1 to 15",
                         ptv::UsageError);
    for (const char* bad : {"", "seventeen-bytes-x", "a/b", "a b"}) {
        CAPTURE(bad);
        CHECK_THROWS_AS(file_disk_image({{bad, "x"}}), ptv::UsageError);
    }
    CHECK_THROWS(read_file_disk(std::vector<uint8_t>(512, 0)));
}
