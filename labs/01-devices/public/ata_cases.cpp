// Part 1, the emulated ATA disk: public cases. Each runs disk-ata with a
// fixed script and checks the serial output, the disk afterwards and the
// exits on every port of the device (harness/check.hpp).
#include "harness/check.hpp"

namespace ptv::lab::devices {
namespace {
using R = Request;
}

PTV_LAB_CASE("ata-read-one") {
    run_and_check(ctx, Which::Ata, Script().batch({R::read(5, 1)}), {},
                  "read sector 5: one READ SECTORS, 256 INs of the data register");
}

PTV_LAB_CASE("ata-read-many") {
    run_and_check(ctx, Which::Ata,
                  Script()
                      .batch({R::read(0, 1)})
                      .batch({R::read(100, 8)})
                      .batch({R::read(2047, 1)})
                      .batch({R::read(7, 3)}),
                  {}, "four reads, the last sector of the disk among them");
}

PTV_LAB_CASE("ata-write-read") {
    run_and_check(ctx, Which::Ata,
                  Script()
                      .batch({R::write(10, 3, 1234)})
                      .batch({R::read(10, 3)})
                      .batch({R::read(9, 5)})
                      .batch({R::write(11, 1, 99)})
                      .batch({R::read(10, 3)}),
                  {}, "write sectors, then read them back, around and over them");
}

PTV_LAB_CASE("ata-exit-count") {
    run_and_check(ctx, Which::Ata, Script().batch({R::read(0, 2)}).batch({R::write(40, 2, 7)}), {},
                  "two sectors read, two written: 6 + 257 per sector + 1 exits a request, when "
                  "the disk is ready at the first poll");
}

PTV_LAB_CASE("ata-count-256") {
    run_and_check(ctx, Which::Ata,
                  Script().batch({R::write(1024, 256, 4242)}).batch({R::read(1000, 256)}), {},
                  "256 sectors at once: the guest writes 0 to the sector count register");
}

PTV_LAB_CASE("ata-lba-bytes") {
    run_and_check(ctx, Which::Ata,
                  Script()
                      .batch({R::read(300, 1)})
                      .batch({R::write(70000, 2, 5)})
                      .batch({R::read(65541, 1)})
                      .batch({R::read(69999, 4)}),
                  {80000, 3},
                  "LBAs above 255 and 65535: the LBA low, mid and high registers each matter");
}

PTV_LAB_CASE("ata-out-of-range") {
    run_and_check(
        ctx, Which::Ata,
        Script().batch({R::read(2047, 2)}).batch({R::write(5000, 1, 1)}).batch({R::read(0, 1)}), {},
        "requests past the end of a 2048-sector disk: ERR with IDNF, and the next "
        "request works");
}

}  // namespace ptv::lab::devices
