// Hidden cases: scripts drawn from the seed the grader picks. Their input
// (ctx.input) is the whole script, so --reveal shows a student exactly what
// to run again: lab-tests run CASE --seed N.
#include <algorithm>

#include "harness/check.hpp"
#include "harness/runner.hpp"
#include "ptv/common/rng.hpp"

namespace ptv::lab::devices {
namespace {

using R = Request;
using K = BadRing::Kind;

// A request on a disk of `sectors`: mostly inside it, now and then running
// past its end (an I/O error), now and then a whole 256 sectors.
R random_request(SplitMix64& rng, uint32_t sectors, bool allow_big) {
    uint32_t count = uint32_t(rng.between(1, 12));
    if (allow_big && rng.below(16) == 0) count = 256;
    uint32_t lba;
    if (rng.below(12) == 0)
        lba = sectors - uint32_t(rng.below(std::min(count, sectors)));  // past the end
    else
        lba = uint32_t(rng.below(sectors - std::min(count, sectors) + 1));
    if (rng.below(2) == 0) return R::read(lba, count);
    return R::write(lba, count, uint32_t(rng.next()));
}

DiskSpec random_disk(SplitMix64& rng) {
    return {uint32_t(rng.between(300, 4096)), rng.next()};
}

}  // namespace

PTV_LAB_CASE("ata-random") {
    SplitMix64 rng(ctx.seed());
    const DiskSpec disk = random_disk(rng);
    Script s;
    const int n = rng.between(6, 14);
    for (int i = 0; i < n; ++i) s.batch({random_request(rng, disk.sectors, i == 0)});
    run_and_check(ctx, Which::Ata, s, disk, "random reads and writes");
}

PTV_LAB_CASE("pv-random") {
    SplitMix64 rng(ctx.seed());
    const DiskSpec disk = random_disk(rng);
    Script s;
    if (rng.below(2) == 0)
        s.start(uint32_t(0) - uint32_t(rng.between(1, 40)));
    else
        s.start(uint32_t(rng.next()));
    const int batches = rng.between(3, 8);
    for (int b = 0; b < batches; ++b) {
        std::vector<R> batch;
        const int size = rng.below(4) == 0 ? 16 : rng.between(1, 16);
        for (int i = 0; i < size; ++i) batch.push_back(random_request(rng, disk.sectors, b == 0));
        s.batch(batch);
    }
    run_and_check(ctx, Which::Pv, s, disk,
                  "random batches of 1 to 16 requests, from a random ring index");
}

PTV_LAB_CASE("pv-bad-random") {
    SplitMix64 rng(ctx.seed());
    const DiskSpec disk = random_disk(rng);
    constexpr uint32_t ram = kGuestMemoryMib << 20;
    Script s;
    s.start(uint32_t(rng.next()));
    const int batches = rng.between(0, 3);
    for (int b = 0; b < batches; ++b) {
        std::vector<R> batch;
        const int size = rng.between(1, 16);
        for (int i = 0; i < size; ++i) batch.push_back(random_request(rng, disk.sectors, false));
        s.batch(batch);
    }
    BadRing bad;
    switch (rng.below(9)) {
        case 0:
            bad = {K::Ahead, uint32_t(rng.between(1, 1000))};
            break;
        case 1:
            bad = {K::Ahead, uint32_t(0x80000000u + rng.below(1000))};
            break;
        case 2:
            bad = {K::Buffer, uint32_t(ram + rng.below(0xf0000000u - ram)), 1};
            break;
        case 3: {  // inside RAM, but its end is not
            const uint32_t count = uint32_t(rng.between(2, 256));
            bad = {K::Buffer, uint32_t(ram - 512 * rng.between(1, int(count) - 1)), count};
            break;
        }
        case 4:
            bad = {K::Count, rng.below(2) ? 0u : uint32_t(257 + rng.below(100000))};
            break;
        case 5:
            bad = {K::Ring, uint32_t(ram + rng.below(0xf0000000u - ram))};
            break;
        case 6:
            bad = {K::Ring, uint32_t(ram - 4 * rng.between(1, 3))};
            break;
        case 7:
            bad = {K::Magic};
            break;
        default: {
            static const uint32_t sizes[] = {0, 3, 12, 100, 512, 1024, 65536};
            bad = {K::Size, sizes[rng.below(std::size(sizes))]};
            break;
        }
    }
    s.bad(bad);
    run_and_check(ctx, Which::Pv, s, disk, "good batches, then a bad ring: " + bad.what());
}

}  // namespace ptv::lab::devices
