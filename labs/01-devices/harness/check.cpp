#include "check.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cstdio>
#include <set>
#include <vector>

#include "runner.hpp"

namespace ptv::lab::devices {

namespace {

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    size_t from = 0;
    while (from < text.size()) {
        size_t nl = text.find('\n', from);
        if (nl == std::string::npos) nl = text.size();
        out.push_back(text.substr(from, nl - from));
        from = nl + 1;
    }
    return out;
}

std::string last_line(const std::string& serial) {
    const auto all = lines(serial);
    return all.empty() ? "(no output)" : "\"" + all.back() + "\"";
}

void check_outcome(Which which, const Expected& e, const Observed& o) {
    const std::string device = device_name(which);
    if (e.device_error) {
        expect(o.outcome == "device-error" && o.message.rfind(device + ":", 0) == 0,
               fmt::format("{} accepted a bad ring ({}): the run ended with {} (status {}){}, "
                           "last serial line {}; expected {} to stop the VM with a device "
                           "error (a vmb::StopRequest of kind DeviceError)",
                           device, e.bad_what, o.outcome, o.status,
                           o.message.empty() ? "" : ": " + o.message, last_line(o.serial), device));
        return;
    }
    expect(o.outcome == "guest-exit" && o.status == 0,
           fmt::format("the run ended with {} (status {}){}; last serial line {}; expected {} "
                       "to finish its script and end with a debug exit, status 0",
                       o.outcome, o.status, o.message.empty() ? "" : ": " + o.message,
                       last_line(o.serial), guest_name(which)));
}

void check_serial(const Expected& e, const Observed& o) {
    const auto got = lines(o.serial), want = lines(e.serial);
    for (size_t i = 0; i < want.size(); ++i) {
        expect(i < got.size(), fmt::format("serial output ends after {} line(s); expected "
                                           "line {}: \"{}\"",
                                           got.size(), i + 1, want[i]));
        if (got[i] == want[i]) continue;
        const bool checksum =
            got[i].find(" fnv ") != std::string::npos &&
            want[i].find(" fnv ") != std::string::npos &&
            got[i].substr(0, got[i].find(" fnv ")) == want[i].substr(0, want[i].find(" fnv "));
        throw Failure(
            fmt::format("serial line {}: got \"{}\", expected \"{}\"{}", i + 1, got[i], want[i],
                        checksum ? " (the checksum of the sectors the guest got is not that of the "
                                   "disk's sectors)"
                                 : ""));
    }
    expect(got.size() == want.size(),
           fmt::format("serial line {}: got \"{}\" after the last expected line", want.size() + 1,
                       got.size() > want.size() ? got[want.size()] : ""));
}

void check_disk(const Expected& e, const Disk& disk) {
    const auto bytes = disk.bytes();
    for (uint32_t s = 0; s < disk.sectors(); ++s) {
        const size_t at = size_t(s) * Disk::kSectorSize;
        if (std::equal(bytes.begin() + at, bytes.begin() + at + Disk::kSectorSize,
                       e.disk.begin() + at))
            continue;
        size_t b = 0;
        while (bytes[at + b] == e.disk[at + b]) ++b;
        throw Failure(
            fmt::format("disk sector {} after the run: byte {} is {:#04x}, expected {:#04x} ({})",
                        s, b, bytes[at + b], e.disk[at + b],
                        e.written_by[s].empty() ? "no request wrote this sector"
                                                : "it was last written by " + e.written_by[s]));
    }
}

void print_table(Which which, const Expected& e, const Observed& o) {
    std::set<uint16_t> ports;
    for (const auto& [p, c] : e.exits) ports.insert(p);
    for (const auto& [p, c] : o.exits) ports.insert(p);
    std::printf("exit table of %s (VM exits on its ports: got / expected)\n", device_name(which));
    for (uint16_t p : ports) {
        const PortCount g = o.exits.count(p) ? o.exits.at(p) : PortCount{};
        const PortCount w = e.exits.count(p) ? e.exits.at(p) : PortCount{};
        std::printf("  %#x  %-15s  IN %8llu / %-8llu  OUT %8llu / %llu\n", p,
                    port_name(which, p).c_str(), (unsigned long long)g.in, (unsigned long long)w.in,
                    (unsigned long long)g.out, (unsigned long long)w.out);
    }
}

void check_exits(Which which, const Expected& e, const Observed& o) {
    std::set<uint16_t> ports;
    for (const auto& [p, c] : e.exits) ports.insert(p);
    for (const auto& [p, c] : o.exits) ports.insert(p);
    for (uint16_t p : ports) {
        const PortCount g = o.exits.count(p) ? o.exits.at(p) : PortCount{};
        const PortCount w = e.exits.count(p) ? e.exits.at(p) : PortCount{};
        const auto why = [&](const std::map<uint16_t, std::string>& m) {
            return m.count(p) ? " (" + m.at(p) + ")" : " (the guest never uses it)";
        };
        expect_eq(g.in, w.in,
                  fmt::format("{}: exits on IN from port {:#x} ({}){}", device_name(which), p,
                              port_name(which, p), why(e.in_why)));
        expect_eq(g.out, w.out,
                  fmt::format("{}: exits on OUT to port {:#x} ({}){}", device_name(which), p,
                              port_name(which, p), why(e.out_why)));
    }
}

}  // namespace

void run_and_check(Context& ctx, Which which, const Script& script, const DiskSpec& spec,
                   const std::string& about) {
    // A case that runs several guests describes them all, one after the other.
    const std::string input =
        fmt::format("{}; a disk of {} sectors filled from seed {}; {} script: \"{}\"", about,
                    spec.sectors, spec.seed, guest_name(which), script.text());
    ctx.input(ctx.input().empty() ? input : ctx.input() + "\nthen " + input);
    Disk disk(spec.sectors);
    fill_disk(disk, spec.seed);
    const Expected e = expected_run(which, script, disk);

    std::printf("%s on %s, with %s\nscript: %s\n", guest_name(which),
                ctx.substrate() == Substrate::Kvm ? "KVM" : "the CPU model's VMX technique",
                device_name(which), script.text().c_str());
    const Observed o = run_guest(ctx, which, script, disk);
    std::printf("run ended: %s (status %d)%s%s\nserial output:\n%s", o.outcome.c_str(), o.status,
                o.message.empty() ? "" : ": ", o.message.c_str(), o.serial.c_str());
    if (!o.serial.empty() && o.serial.back() != '\n') std::printf("\n");
    print_table(which, e, o);
    if (!ctx.trace_path().empty())
        std::printf("trace: %s (ptv viz %s: the notifications view)\n", ctx.trace_path().c_str(),
                    ctx.trace_path().c_str());

    uint64_t device_exits = 0;
    for (const auto& [p, c] : o.exits) device_exits += c.in + c.out;
    ctx.measure("device_exits", double(device_exits));
    ctx.measure("total_exits", double(o.total_exits));
    if (e.sectors_moved)
        ctx.measure("device_exits_per_sector", double(device_exits) / double(e.sectors_moved));

    check_outcome(which, e, o);
    check_serial(e, o);
    check_disk(e, disk);
    check_exits(which, e, o);
}

}  // namespace ptv::lab::devices
