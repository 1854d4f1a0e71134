#include "ptv/viz/synthetic.hpp"

#include <fmt/format.h>

namespace ptv::viz {

std::string synthetic_kvm_trace(size_t exits) {
    std::string s = "{\"traceEvents\":[\n";
    auto meta = [&](const char* what, int tid, const std::string& args) {
        s += fmt::format("{{\"args\":{},\"name\":\"{}\",\"ph\":\"M\",\"pid\":1,\"tid\":{}}},\n",
                         args, what, tid);
    };
    s += "{\"args\":{\"name\":\"VM "
         "synthetic\"},\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1},\n";
    const char* devices[] = {"uart (emulated)", "mmio-scratch (emulated)", "vcpu (worker)"};
    meta("thread_name", 1, "{\"name\":\"vCPU 0\"}");
    for (int d = 0; d < 3; ++d) {
        meta("thread_name", 100 + d, fmt::format("{{\"name\":\"{}\"}}", devices[d]));
        meta("thread_sort_index", 100 + d, fmt::format("{{\"sort_index\":{}}}", d + 1));
    }
    s.reserve(s.size() + exits * 720);
    double t = 10.0;
    for (size_t i = 0; i < exits; ++i) {
        const int kind = int(i % 3 == 2 ? 2 : i % 3);  // io, mmio, hlt
        const uint64_t id = i + 1;
        const double dur = 1.5 + double(i % 7) * 0.25, notify = t + 0.3, hdur = dur - 0.6;
        if (kind == 0)
            s += fmt::format(
                "{{\"args\":{{\"data\":\"{:#x}\",\"device\":\"uart\",\"direction\":\"write\","
                "\"handling_ns\":{:.1f},\"instruction\":\"out dx, al\",\"port\":\"0x3f8\","
                "\"rip\":\"{:#x}\",\"size\":1}},\"cat\":\"vmexit\",\"dur\":{:.3f},\"name\":\"io\","
                "\"ph\":\"X\",\"pid\":1,\"tid\":1,\"ts\":{:.3f}}},\n",
                0x41 + i % 26, dur * 1000, 0x100020 + i % 64, dur, t);
        else if (kind == 1)
            s += fmt::format(
                "{{\"args\":{{\"address\":\"0xd0000000\",\"data\":\"{:#x}\",\"device\":\"mmio-"
                "scratch\",\"direction\":\"write\",\"handling_ns\":{:.1f},\"instruction\":\"mov "
                "dword ptr [ebx], eax\",\"rip\":\"{:#x}\",\"size\":4}},\"cat\":\"vmexit\",\"dur\":"
                "{:.3f},\"name\":\"mmio\",\"ph\":\"X\",\"pid\":1,\"tid\":1,\"ts\":{:.3f}}},\n",
                i, dur * 1000, 0x100040 + i % 64, dur, t);
        else
            s += fmt::format(
                "{{\"args\":{{\"device\":\"vcpu\",\"handling_ns\":{:.1f},\"instruction\":\"hlt\","
                "\"rip\":\"{:#x}\"}},\"cat\":\"vmexit\",\"dur\":{:.3f},\"name\":\"hlt\",\"ph\":"
                "\"X\",\"pid\":1,\"tid\":1,\"ts\":{:.3f}}},\n",
                dur * 1000, 0x100060 + i % 64, dur, t);
        s += fmt::format(
            "{{\"args\":{{\"exit\":{}}},\"cat\":\"notification\",\"dur\":{:.3f},\"name\":\"{} "
            "{}\",\"ph\":\"X\",\"pid\":1,\"tid\":{},\"ts\":{:.3f}}},\n",
            id, hdur,
            kind == 2   ? "vcpu"
            : kind == 1 ? "mmio-scratch"
                        : "uart",
            kind == 2 ? "hlt" : "write", 100 + kind, notify);
        s += fmt::format(
            "{{\"cat\":\"notification\",\"id\":{},\"name\":\"dispatch\",\"ph\":\"s\",\"pid\":1,"
            "\"tid\":1,\"ts\":{:.3f}}},\n",
            id, notify);
        s += fmt::format(
            "{{\"bp\":\"e\",\"cat\":\"notification\",\"id\":{},\"name\":\"dispatch\",\"ph\":\"f\","
            "\"pid\":1,\"tid\":{},\"ts\":{:.3f}}}{}\n",
            id, 100 + kind, notify, i + 1 < exits ? "," : "");
        t += dur + 2.0 + double(i % 5);
    }
    s += "],\n\"metadata\":{\"source\":\"synthetic\",\"exits\":" + std::to_string(exits) + "}}\n";
    return s;
}

}  // namespace ptv::viz
