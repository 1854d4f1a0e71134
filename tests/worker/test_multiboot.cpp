#include <doctest/doctest.h>

#include <cstring>
#include <fstream>

#include "../support/images.hpp"
#include "../support/process.hpp"
#include "ptv/common/error.hpp"
#include "ptv/vmb/multiboot.hpp"

using namespace ptv;
using ptv::vmb::parse_multiboot;

namespace {
std::string error_of(const std::vector<uint8_t>& bytes) {
    try {
        parse_multiboot(bytes, "img");
    } catch (const UsageError& e) {
        return e.what();
    }
    return "";
}
}  // namespace

TEST_CASE("a flat image: header anywhere in the first 8 KiB, address fields, bss") {
    test::FlatImage img;
    auto bytes = img.bytes();
    auto mb = parse_multiboot(bytes, "img");
    CHECK(mb.format == "multiboot (address fields)");
    CHECK(mb.header_offset == 64);
    REQUIRE(mb.segments.size() == 1);
    CHECK(mb.segments[0].address == 0x200000);
    CHECK(mb.segments[0].file_offset == 0);
    CHECK(mb.segments[0].file_size == bytes.size());
    CHECK(mb.segments[0].memory_size == bytes.size() + 0x1000);
    CHECK(mb.entry == 0x200000 + 96);

    std::vector<uint8_t> ram(4 << 20, 0xcc);
    vmb::load_multiboot(mb, bytes, ram, "img");
    CHECK(std::memcmp(&ram[0x200000], bytes.data(), bytes.size()) == 0);
    CHECK(ram[0x200000 + bytes.size()] == 0);  // bss zeroed
    CHECK(ram[0x200000 + bytes.size() + 0xfff] == 0);
    CHECK(ram[0x200000 + bytes.size() + 0x1000] == 0xcc);  // and no further
}

TEST_CASE("a built guest parses, and an ELF guest is loaded by its program headers") {
    auto hello = vmb::read_image_file(test::guest("hello"));
    CHECK(parse_multiboot(hello, "hello").segments[0].address == 0x100000);
    auto elf = vmb::read_image_file(test::guest("elf-hello"));
    auto mb = parse_multiboot(elf, "elf-hello");
    CHECK(mb.format == "multiboot (ELF32)");
    CHECK(mb.lowest >= 0x100000);
}

TEST_CASE("what is not a bootable multiboot v1 image says why") {
    CHECK(error_of({}).find("no multiboot header") != std::string::npos);
    CHECK(error_of(std::vector<uint8_t>(20000, 0x90)).find("no multiboot header") !=
          std::string::npos);

    test::FlatImage img;
    img.bad_checksum = true;
    CHECK(error_of(img.bytes()).find("no multiboot header") != std::string::npos);

    test::FlatImage late;  // header past the first 8 KiB
    late.header_offset = 8192;
    CHECK(error_of(late.bytes()).find("no multiboot header") != std::string::npos);

    test::FlatImage needs;  // requires a feature we do not know (bit 5)
    needs.flags |= 1u << 5;
    CHECK(error_of(needs.bytes()).find("does not know") != std::string::npos);

    test::FlatImage no_fields;  // no address fields, and not ELF either
    no_fields.flags = 0x2;
    CHECK(error_of(no_fields.bytes()).find("not ELF") != std::string::npos);

    auto truncated = test::FlatImage{}.bytes();
    truncated.resize(80);  // cut inside the header's address fields
    CHECK(error_of(truncated).find("cut off") != std::string::npos);

    // load_end_addr pointing beyond the file: truncated image.
    auto longer = test::FlatImage{}.bytes();
    uint32_t load_end = 0x200000 + 0x10000;
    std::memcpy(&longer[64 + 20], &load_end, 4);
    std::memcpy(&longer[64 + 24], &load_end, 4);
    CHECK(error_of(longer).find("truncated") != std::string::npos);

    // Entry point outside the image.
    auto wild = test::FlatImage{}.bytes();
    uint32_t entry = 0x900000;
    std::memcpy(&wild[64 + 28], &entry, 4);
    CHECK(error_of(wild).find("entry point") != std::string::npos);
}

TEST_CASE("an image that does not fit names the --memory it needs") {
    test::FlatImage big;
    big.bss = 100u << 20;
    auto bytes = big.bytes();
    auto mb = parse_multiboot(bytes, "big");
    std::vector<uint8_t> ram(64 << 20);
    try {
        vmb::load_multiboot(mb, bytes, ram, "big");
        FAIL("loaded an image bigger than RAM");
    } catch (const UsageError& e) {
        CHECK(std::string(e.what()).find("--memory 103") != std::string::npos);
    }
    test::FlatImage low;
    low.load_addr = 0x1000;  // on top of the loader's GDT
    auto lb = low.bytes();
    CHECK_THROWS_AS(vmb::load_multiboot(parse_multiboot(lb, "low"), lb, ram, "low"), UsageError);
}

TEST_CASE("a missing file is a usage error that says what to do") {
    try {
        vmb::read_image_file("/nonexistent/guest.bin");
        FAIL("no error");
    } catch (const UsageError& e) {
        CHECK(std::string(e.what()).find("cannot read guest image") != std::string::npos);
    }
}
