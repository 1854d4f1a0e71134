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

// A request on a disk of `sectors`: inside it, 1 to 12 sectors.
R random_request(SplitMix64& rng, uint32_t sectors) {
    const uint32_t count = uint32_t(rng.between(1, 12));
    const uint32_t lba = uint32_t(rng.below(sectors - count + 1));
    if (rng.below(2) == 0) return R::read(lba, count);
    return R::write(lba, count, uint32_t(rng.next()));
}

// What every random script has, whatever the seed, so that a hidden test
// always covers the same ground: a read at an LBA above 255 (the LBA mid
// register matters), a write, a request running past the end of the disk,
// and a whole 256 sectors at once.
std::vector<R> covering_requests(SplitMix64& rng, uint32_t sectors) {
    const uint32_t count = uint32_t(rng.between(1, 12));
    const uint32_t past = uint32_t(rng.between(2, 12));
    return {R::read(256 + uint32_t(rng.below(sectors - 256 - count + 1)), count),
            R::write(uint32_t(rng.below(sectors - 4)), 4, uint32_t(rng.next())),
            R::read(sectors - uint32_t(rng.below(past - 1)) - 1, past),
            rng.below(2) ? R::read(uint32_t(rng.below(sectors - 255)), 256)
                         : R::write(uint32_t(rng.below(sectors - 255)), 256, uint32_t(rng.next()))};
}

template <class T>
void shuffle(SplitMix64& rng, std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.below(i)]);
}

DiskSpec random_disk(SplitMix64& rng) {
    return {uint32_t(rng.between(1024, 8192)), rng.next()};
}

}  // namespace

PTV_LAB_CASE("ata-random") {
    SplitMix64 rng(ctx.seed());
    const DiskSpec disk = random_disk(rng);
    std::vector<R> requests = covering_requests(rng, disk.sectors);
    for (int i = rng.between(3, 10); i > 0; --i)
        requests.push_back(random_request(rng, disk.sectors));
    shuffle(rng, requests);
    Script s;
    for (const R& r : requests) s.batch({r});
    run_and_check(ctx, Which::Ata, s, disk, "random reads and writes");
}

PTV_LAB_CASE("pv-random") {
    SplitMix64 rng(ctx.seed());
    const DiskSpec disk = random_disk(rng);
    // A full batch, and more: the ring's 16 slots and the u32 indices wrap.
    std::vector<std::vector<R>> batches;
    std::vector<R> full = covering_requests(rng, disk.sectors);
    while (full.size() < 16) full.push_back(random_request(rng, disk.sectors));
    shuffle(rng, full);
    batches.push_back(full);
    for (int b = rng.between(2, 6); b > 0; --b) {
        std::vector<R> batch;
        for (int i = rng.between(1, 16); i > 0; --i)
            batch.push_back(random_request(rng, disk.sectors));
        batches.push_back(batch);
    }
    shuffle(rng, batches);
    Script s;
    s.start(uint32_t(0) - uint32_t(rng.between(1, 16)));
    for (auto& b : batches) s.batch(b);
    run_and_check(ctx, Which::Pv, s, disk,
                  "random batches of 1 to 16 requests, one of them a full ring, from a ring "
                  "index just below 2^32");
}

PTV_LAB_CASE("pv-bad-random") {
    // Every kind of bad ring, each with random parameters, in its own run,
    // after a few good batches of up to 8 requests.
    SplitMix64 rng(ctx.seed());
    constexpr uint32_t ram = kGuestMemoryMib << 20;
    const uint32_t count = uint32_t(rng.between(2, 256));
    static const uint32_t sizes[] = {0, 3, 12, 100, 512, 1024, 65536};
    const BadRing rings[] = {
        {K::Ahead, uint32_t(rng.between(1, 1000))},
        {K::Ahead, uint32_t(0x80000000u + rng.below(1000))},
        {K::Buffer, uint32_t(ram + rng.below(0xf0000000u - ram)), 1},
        {K::Buffer, uint32_t(ram - 512 * rng.between(1, int(count) - 1)), count},  // its end
        {K::WriteBuffer, uint32_t(ram + rng.below(0xf0000000u - ram)), 1},
        {K::WriteBuffer, uint32_t(ram - 512 * rng.between(1, int(count) - 1)), count},
        {K::Count, rng.below(2) ? 0u : uint32_t(257 + rng.below(3840))},
        {K::Ring, uint32_t(ram + rng.below(0xf0000000u - ram))},
        {K::Ring, uint32_t(ram - 4 * rng.between(1, 3))},  // a header past the end
        {K::Magic},
        {K::Size, sizes[rng.below(std::size(sizes))]},
    };
    for (const BadRing& bad : rings) {
        const DiskSpec disk = random_disk(rng);
        Script s;
        s.start(0x200000 + uint32_t(rng.below(0xffc00000u)));
        for (int b = rng.between(0, 2); b > 0; --b) {
            std::vector<R> batch;
            for (int i = rng.between(1, 8); i > 0; --i)
                batch.push_back(random_request(rng, disk.sectors));
            s.batch(batch);
        }
        s.bad(bad);
        run_and_check(ctx, Which::Pv, s, disk, "good batches, then a bad ring: " + bad.what());
    }
}

}  // namespace ptv::lab::devices
