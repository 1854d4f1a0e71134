#include <doctest/doctest.h>
#include <linux/serial_reg.h>

#include "../support/fake_machine.hpp"
#include "ptv/devices/uart16550.hpp"

using namespace ptv;

namespace {
struct Port {
    devices::Uart16550& u;
    uint8_t in(unsigned reg) {
        uint8_t v = 0;
        u.read(vmb::Space::Pio, reg, {&v, 1});
        return v;
    }
    void out(unsigned reg, uint8_t v) { u.write(vmb::Space::Pio, reg, {&v, 1}); }
};
}  // namespace

TEST_CASE("a polling driver: init, wait for THRE, write THR") {
    test::FakeMachine m;
    devices::Uart16550 uart(m);
    Port p{uart};
    p.out(UART_IER, 0);
    p.out(UART_LCR, UART_LCR_DLAB);
    p.out(UART_DLL, 1);
    p.out(UART_DLM, 0);
    CHECK(p.in(UART_DLL) == 1);  // the divisor latch reads back while DLAB is set
    p.out(UART_LCR, UART_LCR_WLEN8);
    CHECK(p.in(UART_LCR) == UART_LCR_WLEN8);
    p.out(UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR | UART_FCR_CLEAR_XMIT);
    CHECK((p.in(UART_IIR)&0xc0) == 0xc0);  // FIFOs enabled: a 16550A
    for (char c : std::string("hi\n")) {
        CHECK((p.in(UART_LSR) & (UART_LSR_THRE | UART_LSR_TEMT)) ==
              (UART_LSR_THRE | UART_LSR_TEMT));
        p.out(UART_TX, uint8_t(c));
    }
    CHECK(m.console == "hi\n");
    CHECK(uart.bytes_transmitted() == 3);
    p.out(UART_SCR, 0x5a);
    CHECK(p.in(UART_SCR) == 0x5a);
}

TEST_CASE("writing with DLAB set changes the divisor, not the output") {
    test::FakeMachine m;
    devices::Uart16550 uart(m);
    Port p{uart};
    p.out(UART_LCR, UART_LCR_DLAB);
    p.out(UART_TX, 'X');
    p.out(UART_IER, 0x12);
    CHECK(m.console.empty());
    CHECK(p.in(UART_DLL) == 'X');
    CHECK(p.in(UART_DLM) == 0x12);
    p.out(UART_LCR, 0x03);
    CHECK(p.in(UART_IER) == 0);
}

TEST_CASE("loopback: what is sent is received, modem lines follow MCR") {
    test::FakeMachine m;
    devices::Uart16550 uart(m);
    Port p{uart};
    p.out(UART_MCR, UART_MCR_LOOP | UART_MCR_DTR | UART_MCR_OUT2);
    CHECK((p.in(UART_LSR)&UART_LSR_DR) == 0);
    p.out(UART_TX, 0xa5);
    CHECK(m.console.empty());
    CHECK((p.in(UART_LSR)&UART_LSR_DR) != 0);
    CHECK(p.in(UART_RX) == 0xa5);
    CHECK((p.in(UART_LSR)&UART_LSR_DR) == 0);
    CHECK(p.in(UART_MSR) == (UART_MSR_DSR | UART_MSR_DCD));
}

TEST_CASE("received bytes raise DR and the RDI interrupt identification") {
    test::FakeMachine m;
    devices::Uart16550 uart(m);
    Port p{uart};
    CHECK(p.in(UART_IIR) == UART_IIR_NO_INT);
    p.out(UART_IER, UART_IER_RDI);
    uart.receive('k');
    // Flow control: nothing arrives until the driver raises RTS.
    CHECK((p.in(UART_LSR)&UART_LSR_DR) == 0);
    p.out(UART_MCR, UART_MCR_RTS | UART_MCR_DTR);
    CHECK((p.in(UART_IIR)&0x0f) == UART_IIR_RDI);
    CHECK(p.in(UART_RX) == 'k');
    CHECK((p.in(UART_IIR)&0x0f) == UART_IIR_NO_INT);
}

TEST_CASE("input sent before the driver's init survives its FIFO reset") {
    test::FakeMachine m;
    devices::Uart16550 uart(m);
    Port p{uart};
    for (char c : std::string("typed early")) uart.receive(uint8_t(c));
    p.out(UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR);
    p.out(UART_MCR, UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT2);
    std::string got;
    while (p.in(UART_LSR)&UART_LSR_DR) got += char(p.in(UART_RX));
    CHECK(got == "typed early");
}
