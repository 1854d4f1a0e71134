#include "vm_table.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "service_reply.hpp"

namespace fs = std::filesystem;

namespace ptv::vmms {

namespace {

// Writes PATH atomically (temp name, then rename).
void write_json_file(const std::string& path, const nlohmann::json& j) {
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp);
        out << j.dump(1) << "\n";
        if (!out) throw std::runtime_error(fmt::format("cannot write {}", tmp));
    }
    if (std::rename(tmp.c_str(), path.c_str()) < 0)
        throw std::runtime_error(fmt::format("cannot rename {}: {}", tmp, std::strerror(errno)));
}

}  // namespace

bool valid_name(const std::string& n) {
    static const std::regex re("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    return std::regex_match(n, re) && n.find(".tmp-") == std::string::npos;
}

void VmTable::load() {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(state_dir_ + "/vms", ec)) {
        const std::string path = e.path().string() + "/vm.json";
        std::ifstream in(path);
        if (!in) continue;
        std::stringstream text;
        text << in.rdbuf();
        auto j = nlohmann::json::parse(text.str(), nullptr, false);
        if (j.is_discarded()) {
            log_(fmt::format("{} is damaged; VM left out", path));
            continue;
        }
        try {
            Vm vm = Vm::from_json(j);
            next_vm_id_ = std::max(next_vm_id_, vm.id + 1);
            vms_.emplace(vm.name, std::move(vm));
        } catch (const std::exception& ex) {
            log_(fmt::format("{}: {}; VM left out", path, ex.what()));
        }
    }
    for (auto& [name, vm] : vms_) {
        // A snapshot half-written by a worker that has died since (its
        // temporary directory, SNAP.tmp-PID) is of no use: remove it.
        for (const auto& e : fs::directory_iterator(vm_dir(vm) + "/snapshots", ec)) {
            const std::string f = e.path().filename().string();
            const size_t at = f.rfind(".tmp-");
            if (at != std::string::npos && !fs::exists("/proc/" + f.substr(at + 5), ec))
                fs::remove_all(e.path(), ec);
        }
    }
}

Vm* VmTable::create(const nlohmann::json& req, nlohmann::json& err) {
    Vm vm;
    vm.name = req.value("name", "");
    auto refuse = [&err](int status, std::string message) -> Vm* {
        err = error(status, std::move(message));
        return nullptr;
    };
    if (!valid_name(vm.name))
        return refuse(2, fmt::format("'{}' is not a VM name; use letters, digits, '.', '_' and "
                                     "'-' (up to 64, starting with a letter or digit)",
                                     vm.name));
    if (vms_.count(vm.name))
        return refuse(2, fmt::format("a VM named '{}' exists already", vm.name));
    vm.guest = req.value("guest", "");
    if (::access(vm.guest.c_str(), R_OK) != 0)
        return refuse(2, fmt::format("guest image '{}' is not readable", vm.guest));
    vm.memory_mib = req.value("memory_mib", 64u);
    if (vm.memory_mib < 2 || vm.memory_mib > 3072)
        return refuse(
            2, fmt::format("--memory {} is out of range; give 2 to 3072 MiB", vm.memory_mib));
    vm.restart = req.value("restart", "never");
    if (vm.restart != "never" && vm.restart != "on-failure" && vm.restart != "always")
        return refuse(2,
                      fmt::format("--restart {} is not a policy; give never, on-failure or always",
                                  vm.restart));
    vm.cmdline = req.value("cmdline", "");
    vm.test_fault = req.value("test_fault", "");
    vm.id = next_vm_id_++;
    std::error_code ec;
    fs::create_directories(vm_dir(vm) + "/snapshots", ec);
    if (ec) return refuse(1, fmt::format("cannot create {}: {}", vm_dir(vm), ec.message()));
    auto [it, _] = vms_.emplace(vm.name, std::move(vm));
    save(it->second);
    return &it->second;
}

void VmTable::remove(const std::string& name) {
    auto it = vms_.find(name);
    if (it == vms_.end()) return;
    std::error_code ec;
    fs::remove_all(vm_dir(it->second), ec);
    vms_.erase(it);
}

Vm* VmTable::find(const std::string& name) {
    auto it = vms_.find(name);
    return it == vms_.end() ? nullptr : &it->second;
}

void VmTable::save(const Vm& vm) const {
    try {
        write_json_file(vm_dir(vm) + "/vm.json", vm.to_json());
    } catch (const std::exception& e) {
        log_(fmt::format("{}: {}", vm.name, e.what()));
    }
}

}  // namespace ptv::vmms
