#include "ptv/devices/uart16550.hpp"

#include <linux/serial_reg.h>
#include <nlohmann/json.hpp>

#include <stdexcept>

#include "ptv/portmap.h"

namespace ptv::devices {

void Uart16550::plug_in(vmb::VirtualMotherboard& board) {
    board.claim(vmb::Space::Pio, PTV_COM1_BASE, PTV_COM1_SIZE, *this);  // COM1
}

namespace {
// The receiver FIFO of a 16550 holds 16 bytes (datasheet, "FIFO mode").
// What waits on the line beyond it is bounded too, so a flood of input
// cannot grow the worker without limit.
constexpr size_t kFifoSize = 16;
constexpr size_t kLineCapacity = 1 << 16;
}  // namespace

void Uart16550::read(vmb::Space, uint64_t offset, std::span<uint8_t> data) {
    // Wider accesses read consecutive registers, as on the ISA bus.
    for (size_t i = 0; i < data.size(); ++i) data[i] = read_reg(unsigned(offset + i) & 7);
}

vmb::Response Uart16550::write(vmb::Space, uint64_t offset, std::span<const uint8_t> data) {
    for (size_t i = 0; i < data.size(); ++i) write_reg(unsigned(offset + i) & 7, data[i]);
    return {};
}

void Uart16550::receive(uint8_t byte) {
    std::lock_guard lock(rx_lock_);
    if (line_.size() < kLineCapacity) line_.push_back(byte);
}

void Uart16550::refill_locked() {
    if (!(mcr_ & UART_MCR_RTS) || (mcr_ & UART_MCR_LOOP)) return;
    while (!line_.empty() && rx_.size() < kFifoSize) {
        rx_.push_back(line_.front());
        line_.pop_front();
    }
}

uint8_t Uart16550::line_status() {
    std::lock_guard lock(rx_lock_);
    refill_locked();
    return UART_LSR_THRE | UART_LSR_TEMT | (rx_.empty() ? 0 : UART_LSR_DR);
}

uint8_t Uart16550::modem_status() const {
    if (mcr_ & UART_MCR_LOOP) {
        // Loopback wires the modem-control outputs to the status inputs.
        uint8_t msr = 0;
        if (mcr_ & UART_MCR_DTR) msr |= UART_MSR_DSR;
        if (mcr_ & UART_MCR_RTS) msr |= UART_MSR_CTS;
        if (mcr_ & UART_MCR_OUT1) msr |= UART_MSR_RI;
        if (mcr_ & UART_MCR_OUT2) msr |= UART_MSR_DCD;
        return msr;
    }
    // A terminal is always there: carrier, data set ready, clear to send.
    return UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
}

uint8_t Uart16550::read_reg(unsigned reg) {
    const bool dlab = lcr_ & UART_LCR_DLAB;
    switch (reg) {
        case UART_RX: {
            if (dlab) return dll_;
            std::lock_guard lock(rx_lock_);
            refill_locked();
            if (rx_.empty()) return 0;
            uint8_t b = rx_.front();
            rx_.pop_front();
            return b;
        }
        case UART_IER:
            return dlab ? dlm_ : ier_;
        case UART_IIR: {
            uint8_t iir = UART_IIR_NO_INT;
            bool rx_ready = line_status() & UART_LSR_DR;
            if ((ier_ & UART_IER_RDI) && rx_ready) {
                iir = UART_IIR_RDI;
            } else if ((ier_ & UART_IER_THRI) && thri_pending_) {
                iir = UART_IIR_THRI;
                thri_pending_ = false;  // reading IIR acknowledges THRE
            }
            // Bits 7:6 report enabled FIFOs, which is how drivers tell a
            // 16550A from an 8250.
            if (fcr_ & UART_FCR_ENABLE_FIFO) iir |= 0xc0;
            return iir;
        }
        case UART_LCR:
            return lcr_;
        case UART_MCR:
            return mcr_;
        case UART_LSR:
            return line_status();
        case UART_MSR:
            return modem_status();
        case UART_SCR:
            return scr_;
    }
    return 0xff;
}

void Uart16550::write_reg(unsigned reg, uint8_t value) {
    const bool dlab = lcr_ & UART_LCR_DLAB;
    switch (reg) {
        case UART_TX:
            if (dlab) {
                dll_ = value;
            } else if (mcr_ & UART_MCR_LOOP) {
                std::lock_guard lock(rx_lock_);
                if (rx_.size() < kFifoSize) rx_.push_back(value);
            } else {
                char c = char(value);
                machine_.console_write({&c, 1});
                ++tx_bytes_;
                thri_pending_ = true;
            }
            break;
        case UART_IER:
            if (dlab) {
                dlm_ = value;
            } else {
                ier_ = value & 0x0f;
                // Enabling THRI with an empty transmitter raises it at once.
                if (ier_ & UART_IER_THRI) thri_pending_ = true;
            }
            break;
        case UART_FCR:
            fcr_ = value;
            if (value & UART_FCR_CLEAR_RCVR) {
                std::lock_guard lock(rx_lock_);
                rx_.clear();
            }
            break;
        case UART_LCR:
            lcr_ = value;
            break;
        case UART_MCR:
            mcr_ = value & 0x1f;
            break;
        case UART_LSR:
            break;  // factory test only
        case UART_MSR:
            break;  // read-only
        case UART_SCR:
            scr_ = value;
            break;
    }
}

}  // namespace ptv::devices

namespace ptv::devices {

nlohmann::json Uart16550::save_state() const {
    std::lock_guard lock(rx_lock_);
    return {{"dll", dll_},
            {"dlm", dlm_},
            {"ier", ier_},
            {"fcr", fcr_},
            {"lcr", lcr_},
            {"mcr", mcr_},
            {"scr", scr_},
            {"thri_pending", thri_pending_},
            {"rx", std::vector<uint8_t>(rx_.begin(), rx_.end())},
            {"line", std::vector<uint8_t>(line_.begin(), line_.end())},
            {"tx_bytes", tx_bytes_}};
}

void Uart16550::load_state(const nlohmann::json& s) {
    std::lock_guard lock(rx_lock_);
    dll_ = s.at("dll").get<uint8_t>();
    dlm_ = s.at("dlm").get<uint8_t>();
    ier_ = s.at("ier").get<uint8_t>();
    fcr_ = s.at("fcr").get<uint8_t>();
    lcr_ = s.at("lcr").get<uint8_t>();
    mcr_ = s.at("mcr").get<uint8_t>();
    scr_ = s.at("scr").get<uint8_t>();
    thri_pending_ = s.at("thri_pending").get<bool>();
    auto rx = s.at("rx").get<std::vector<uint8_t>>();
    auto line = s.at("line").get<std::vector<uint8_t>>();
    if (rx.size() > kFifoSize) throw std::invalid_argument("uart: receiver FIFO over 16 bytes");
    rx_.assign(rx.begin(), rx.end());
    line_.assign(line.begin(), line.end());
    tx_bytes_ = s.at("tx_bytes").get<uint64_t>();
}

}  // namespace ptv::devices
