#include "console_mux.hpp"

#include "ptv/worker/control.hpp"

namespace ptv::vmms {

void ConsoleMux::attach(const std::string& vm, int client) {
    consoles_[vm].clients.insert(client);
}

void ConsoleMux::detach(const std::string& vm, int client) {
    if (auto it = consoles_.find(vm); it != consoles_.end()) it->second.clients.erase(client);
}

void ConsoleMux::send_all(const std::string& vm, const nlohmann::json& message) {
    auto it = consoles_.find(vm);
    if (it == consoles_.end()) return;
    // A copy: a client whose send fails is detached meanwhile.
    for (int client : std::set<int>(it->second.clients)) send_(client, message);
}

void ConsoleMux::output(const std::string& vm, const nlohmann::json& text) {
    std::string& backlog = consoles_[vm].backlog;
    backlog += worker::text_to_bytes(text.is_string() ? text.get<std::string>() : "");
    if (backlog.size() > kBacklog) backlog.erase(0, backlog.size() - kBacklog);
    send_all(vm, {{"console", text}});
}

void ConsoleMux::event(const std::string& vm, const nlohmann::json& message) {
    send_all(vm, message);
}

std::string ConsoleMux::backlog(const std::string& vm) const {
    auto it = consoles_.find(vm);
    return it == consoles_.end() ? std::string() : it->second.backlog;
}

void ConsoleMux::clear(const std::string& vm) {
    if (auto it = consoles_.find(vm); it != consoles_.end()) it->second.backlog.clear();
}

void ConsoleMux::forget(const std::string& vm) {
    consoles_.erase(vm);
}

}  // namespace ptv::vmms
