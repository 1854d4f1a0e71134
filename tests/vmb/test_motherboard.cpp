#include <doctest/doctest.h>

#include <memory>
#include <stdexcept>

#include "ptv/vmb/motherboard.hpp"

using namespace ptv::vmb;

namespace {
struct Named : Device {
    explicit Named(std::string n) : n_(std::move(n)) {}
    void plug_in(VirtualMotherboard&) override {}
    std::string_view name() const override { return n_; }
    void read(Space, uint64_t, std::span<uint8_t>) override {}
    Response write(Space, uint64_t, std::span<const uint8_t>) override { return {}; }
    std::string n_;
};
}  // namespace

TEST_CASE("claims route every address to its owner and nothing else") {
    VirtualMotherboard board;
    Named uart("uart"), post("post"), mmio("mmio");
    board.claim(Space::Pio, 0x3f8, 8, uart);
    board.claim(Space::Pio, 0x80, 1, post);
    board.claim(Space::Mmio, 0xd0000000, 0x1000, mmio);

    CHECK(board.find(Space::Pio, 0x3f8)->device == &uart);
    CHECK(board.find(Space::Pio, 0x3ff)->device == &uart);
    CHECK(board.find(Space::Pio, 0x3f7) == nullptr);
    CHECK(board.find(Space::Pio, 0x400) == nullptr);
    CHECK(board.find(Space::Pio, 0x80)->device == &post);
    CHECK(board.find(Space::Pio, 0x81) == nullptr);
    CHECK(board.find(Space::Pio, 0) == nullptr);
    // Port and memory spaces are separate: port 0x80 is not address 0x80.
    CHECK(board.find(Space::Mmio, 0x80) == nullptr);
    CHECK(board.find(Space::Mmio, 0xd0000fff)->device == &mmio);
    CHECK(board.find(Space::Mmio, 0xd0001000) == nullptr);
    CHECK(board.devices().size() == 3);
    CHECK(board.find(Space::Pio, 0x3fa)->device_index == 0);
}

TEST_CASE("overlapping claims are refused when they are made, naming both devices") {
    VirtualMotherboard board;
    Named a("uart"), b("intruder");
    board.claim(Space::Pio, 0x3f8, 8, a);
    for (auto [base, size] : {std::pair<uint64_t, uint64_t>{0x3f8, 1},
                              {0x3f0, 9},
                              {0x3ff, 4},
                              {0x3f0, 0x100},
                              {0x3fa, 2}}) {
        try {
            board.claim(Space::Pio, base, size, b);
            FAIL("overlap accepted at " << base);
        } catch (const std::invalid_argument& e) {
            std::string what = e.what();
            CHECK(what.find("intruder") != std::string::npos);
            CHECK(what.find("uart") != std::string::npos);
        }
    }
    // Adjacent ranges are fine on both sides.
    board.claim(Space::Pio, 0x3f0, 8, b);
    board.claim(Space::Pio, 0x400, 1, b);
    CHECK(board.find(Space::Pio, 0x3f7)->device == &b);
    CHECK_THROWS_AS(board.claim(Space::Mmio, 0x1000, 0, b), std::invalid_argument);
    CHECK_THROWS_AS(board.claim(Space::Mmio, ~0ull - 4, 16, b), std::invalid_argument);
}

TEST_CASE("lookup stays correct over many claims (binary search)") {
    VirtualMotherboard board;
    std::vector<std::unique_ptr<Named>> devs;
    // Claimed out of order: every fourth page, 1000 devices.
    for (int i = 999; i >= 0; --i) {
        devs.push_back(std::make_unique<Named>("d" + std::to_string(i)));
        board.claim(Space::Mmio, 0x10000000ull + uint64_t(i) * 0x4000, 0x1000, *devs.back());
    }
    for (int i = 0; i < 1000; ++i) {
        const uint64_t base = 0x10000000ull + uint64_t(i) * 0x4000;
        REQUIRE(board.find(Space::Mmio, base + 0x123) != nullptr);
        CHECK(board.find(Space::Mmio, base + 0x123)->device->name() == "d" + std::to_string(i));
        CHECK(board.find(Space::Mmio, base + 0x1000) == nullptr);
    }
}

TEST_CASE("a device with registers in two ranges numbers them across its claims") {
    VirtualMotherboard board;
    Named pit("pit");
    board.claim(Space::Pio, 0x40, 4, pit);
    board.claim(Space::Pio, 0x61, 1, pit, 0x21);
    CHECK(board.find(Space::Pio, 0x40)->offset(0x40) == 0);
    CHECK(board.find(Space::Pio, 0x43)->offset(0x43) == 3);
    CHECK(board.find(Space::Pio, 0x61)->offset(0x61) == 0x21);
    CHECK(board.find(Space::Pio, 0x61)->device == &pit);
    CHECK(board.devices().size() == 1);  // one device, one row in the exit table
    CHECK(board.find(Space::Pio, 0x44) == nullptr);
}
