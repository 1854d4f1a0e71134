// A 16550-compatible UART (National Semiconductor PC16550D datasheet), the
// serial port every PC has on COM1. Register and bit names are those of
// <linux/serial_reg.h>. Enough of the chip for the polling driver any OS
// has: THR/RBR, IER, IIR, FCR, LCR with the DLAB divisor latch, MCR with
// loopback (used by drivers to detect the chip), LSR with THRE/TEMT/DR, MSR
// and the scratch register. The transmitter is infinitely fast, so THRE is
// always set and a polling driver does exactly one LSR read per byte.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>

#include "ptv/vmb/device.hpp"
#include "ptv/vmb/machine.hpp"
#include "ptv/vmb/motherboard.hpp"

namespace ptv::devices {

class Uart16550 : public vmb::Device {
  public:
    explicit Uart16550(vmb::Machine& machine) : machine_(machine) {}

    void plug_in(vmb::VirtualMotherboard& board) override;
    std::string_view name() const override { return "uart"; }
    void read(vmb::Space space, uint64_t offset, std::span<uint8_t> data) override;
    vmb::Response write(vmb::Space space, uint64_t offset, std::span<const uint8_t> data) override;

    // Bytes typed by the user arrive here (from another thread). They wait
    // on the line until the guest asserts RTS (hardware flow control, as a
    // real terminal would), so input sent before the driver has programmed
    // the chip -- and cleared its FIFO -- is not lost.
    void receive(uint8_t byte);

    uint64_t bytes_transmitted() const { return tx_bytes_; }
    // Every register, the receiver FIFO and what waits on the line.
    nlohmann::json save_state() const override;
    void load_state(const nlohmann::json& s) override;

  private:
    uint8_t read_reg(unsigned reg);
    void write_reg(unsigned reg, uint8_t value);
    uint8_t line_status();
    void refill_locked();  // line -> receiver FIFO, while RTS allows
    uint8_t modem_status() const;

    vmb::Machine& machine_;
    // The registers, as in the datasheet (reset values from its table 5).
    uint8_t dll_ = 0x0c, dlm_ = 0, ier_ = 0, fcr_ = 0, lcr_ = 0, mcr_ = 0, scr_ = 0;
    bool thri_pending_ = false;   // "THR empty" interrupt, cleared by reading IIR
    mutable std::mutex rx_lock_;  // the line is filled by the input thread
    std::deque<uint8_t> line_;    // sent by the terminal, not yet received
    std::deque<uint8_t> rx_;      // the receiver FIFO
    uint64_t tx_bytes_ = 0;
};

}  // namespace ptv::devices
