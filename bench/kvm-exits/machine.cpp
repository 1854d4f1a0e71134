#include "machine.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace ptv::bench {

namespace {

// The value of the first "key : value" line of /proc/cpuinfo with this key.
std::string cpuinfo_field(const std::string& key) {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
        const size_t colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string k = line.substr(0, colon);
        k.erase(k.find_last_not_of(" \t") + 1);
        if (k != key) continue;
        const size_t v = line.find_first_not_of(" \t", colon + 1);
        return v == std::string::npos ? "" : line.substr(v);
    }
    return "";
}

}  // namespace

MachineContext read_machine_context() {
    MachineContext m;
    utsname u{};
    if (::uname(&u) == 0) {
        m.kernel = u.release;
        m.arch = u.machine;
    }
    m.cpus = unsigned(::sysconf(_SC_NPROCESSORS_ONLN));
    m.cpu_model = cpuinfo_field("model name");

    std::istringstream flags(cpuinfo_field("flags"));
    for (std::string f; flags >> f;)
        if (f == "vmx" || f == "svm") m.cpu_virt_flags.push_back(f);

    // /sys/module/NAME exists for a loaded module (and for a built-in one
    // with parameters). kvm_pvm first: it can sit next to the others.
    auto loaded = [](const char* name) {
        std::error_code ec;
        return std::filesystem::exists(std::string("/sys/module/") + name, ec);
    };
    if (loaded("kvm_pvm")) {
        m.kvm_module = "kvm_pvm";
        m.kvm_kind = "PVM: paravirtualized KVM without VT-x/AMD-V (exits are expensive)";
    } else if (loaded("kvm_intel")) {
        m.kvm_module = "kvm_intel";
        m.kvm_kind = "Intel VT-x (VMX)";
    } else if (loaded("kvm_amd")) {
        m.kvm_module = "kvm_amd";
        m.kvm_kind = "AMD-V (SVM)";
    } else {
        m.kvm_module = "unknown";
        m.kvm_kind = "no kvm_pvm, kvm_intel or kvm_amd module found";
    }
    return m;
}

}  // namespace ptv::bench
