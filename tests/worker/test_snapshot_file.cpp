// The snapshot format (worker/snapshot_file.hpp) and device state, without
// KVM: what a restore or a live migration reads must be what was written,
// and anything damaged must be refused with a line that says so.
#include <doctest/doctest.h>
#include <linux/serial_reg.h>

#include <filesystem>
#include <fstream>

#include "../support/fake_machine.hpp"
#include "../support/process.hpp"
#include "ptv/common/memory_hash.hpp"
#include "ptv/devices/device_set.hpp"
#include "ptv/devices/post_code.hpp"
#include "ptv/devices/uart16550.hpp"
#include "ptv/worker/control.hpp"
#include "ptv/worker/snapshot_file.hpp"

namespace fs = std::filesystem;
using namespace ptv;

namespace {
nlohmann::json minimal_state() {
    return {{"vm", "t"},
            {"vcpus", nlohmann::json::array({{{"id", 0}, {"sections", {{"regs", "00ff"}}}}})},
            {"devices", nlohmann::json::object()}};
}
}  // namespace

TEST_CASE("a snapshot reads back as written, and replaces an older one whole") {
    test::TempDir dir;
    std::vector<uint8_t> ram(1 << 20);
    for (size_t i = 0; i < ram.size(); ++i) ram[i] = uint8_t(i * 7);
    const std::string snap = dir.file("s");
    worker::write_snapshot(snap, minimal_state(), ram);
    auto st = worker::read_snapshot_state(snap);
    CHECK(st["version"] == 1);
    CHECK(st["memory"]["bytes"] == ram.size());
    CHECK(st["memory"]["hash"] == memory_hash_text(memory_hash(ram)));
    std::vector<uint8_t> back(ram.size());
    worker::read_snapshot_memory(snap, st, back);
    CHECK(back == ram);

    ram[12345] ^= 1;
    worker::write_snapshot(snap, minimal_state(), ram);
    CHECK(worker::read_snapshot_state(snap)["memory"]["hash"] ==
          memory_hash_text(memory_hash(ram)));
    // Nothing but the snapshot is left in the directory.
    CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);
}

TEST_CASE("a damaged snapshot is refused with one line") {
    test::TempDir dir;
    std::vector<uint8_t> ram(64 << 10, 0x11);
    const std::string snap = dir.file("s");
    worker::write_snapshot(snap, minimal_state(), ram);
    auto st = worker::read_snapshot_state(snap);
    {
        std::fstream m(snap + "/memory.bin", std::ios::in | std::ios::out | std::ios::binary);
        m.seekp(100);
        m.put('\x22');
    }
    std::vector<uint8_t> back(ram.size());
    CHECK_THROWS_WITH(worker::read_snapshot_memory(snap, st, back),
                      doctest::Contains("memory.bin does not match its hash"));
    fs::resize_file(snap + "/memory.bin", 100);
    CHECK_THROWS_WITH(worker::read_snapshot_state(snap),
                      doctest::Contains("memory.bin has 100 bytes, the state says 65536"));
    std::ofstream(snap + "/state.json") << R"({"format":"ptvlab-snapshot","version":99})";
    CHECK_THROWS_WITH(worker::read_snapshot_state(snap),
                      doctest::Contains("has format version 99, this ptvlab reads 1"));
    CHECK_THROWS_AS(worker::read_snapshot_state(dir.file("none")), worker::SnapshotError);
}

TEST_CASE("hex and console bytes round-trip every byte value") {
    std::vector<uint8_t> all(256);
    std::string s(256, '\0');
    for (int i = 0; i < 256; ++i) all[size_t(i)] = uint8_t(i), s[size_t(i)] = char(i);
    CHECK(worker::hex_decode(worker::hex_encode(all)) == all);
    CHECK_THROWS(worker::hex_decode("0g"));
    CHECK(worker::text_to_bytes(worker::bytes_to_text(s)) == s);
}

TEST_CASE("device state: a UART saved mid-conversation is the same UART loaded") {
    test::FakeMachine m1, m2;
    devices::DeviceSet a(m1), b(m2);
    auto& a_uart = a.get<devices::Uart16550>();
    auto& b_uart = b.get<devices::Uart16550>();
    auto out = [](vmb::Device& d, unsigned reg, uint8_t v) {
        d.write(vmb::Space::Pio, reg, {&v, 1});
    };
    auto in = [](vmb::Device& d, unsigned reg) {
        uint8_t v = 0;
        d.read(vmb::Space::Pio, reg, {&v, 1});
        return v;
    };
    out(a_uart, UART_LCR, UART_LCR_WLEN8);
    out(a_uart, UART_MCR, UART_MCR_DTR | UART_MCR_RTS);
    out(a_uart, UART_SCR, 0x42);
    out(a_uart, UART_TX, 'x');
    a_uart.receive('h');
    a_uart.receive('i');
    (void)in(a_uart, UART_LSR);  // 'h' and 'i' move into the FIFO
    out(a.get<devices::PostCode>(), 0, 0x99);
    const nlohmann::json saved = a.save_state();
    b.load_state(nlohmann::json::parse(saved.dump()));
    CHECK(b.save_state() == saved);
    CHECK(in(b_uart, UART_SCR) == 0x42);
    CHECK((in(b_uart, UART_LSR) & UART_LSR_DR) != 0);
    CHECK(in(b_uart, UART_RX) == 'h');
    CHECK(in(b_uart, UART_RX) == 'i');
    CHECK(b_uart.bytes_transmitted() == 1);
    CHECK(b.get<devices::PostCode>().last() == 0x99);
}
