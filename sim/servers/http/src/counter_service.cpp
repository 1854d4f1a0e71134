// The session counters: state kept by the server versus state carried by
// the client (see service.hpp).
#include <fmt/format.h>

#include <charconv>
#include <cstdint>
#include <mutex>
#include <random>
#include <unordered_map>

#include "ptv/servers/http/service.hpp"
#include "ptv/servers/http/target.hpp"

namespace ptv::servers::http {

namespace {

// The value of cookie NAME in a Cookie header ("a=1; b=2"), or "".
std::string_view cookie_value(std::string_view header, std::string_view name) {
    while (!header.empty()) {
        size_t end = header.find(';');
        std::string_view pair = header.substr(0, end);
        header = end == std::string_view::npos ? std::string_view{} : header.substr(end + 1);
        while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
        if (pair.size() > name.size() && pair.substr(0, name.size()) == name &&
            pair[name.size()] == '=')
            return pair.substr(name.size() + 1);
    }
    return {};
}

// The counter lives on "/" only (a browser also asks for /favicon.ico).
std::optional<Reply> not_the_counter(const Request& request) {
    Target t = resolve_target(request.target);
    if (t.status != 0) return error_reply(t.status);
    if (!t.path.empty()) return error_reply(404, "the counter is at /");
    return std::nullopt;
}

Reply visits_reply(uint64_t visits, std::string cookie) {
    Reply r;
    r.body = std::make_shared<const std::string>(fmt::format("visits: {}\n", visits));
    r.extra_headers = fmt::format("Set-Cookie: {}; Path=/\r\nCache-Control: no-store\r\n", cookie);
    return r;
}

class StatefulCounter final : public Service {
  public:
    StatefulCounter() : rng_(std::random_device{}()) {}

    Plan plan(const Request& request) override {
        if (auto r = not_the_counter(request)) return {std::move(r), {}};
        std::string_view id = cookie_value(request.cookie, "session");
        std::lock_guard lk(mtx_);
        auto it = id.empty() ? visits_.end() : visits_.find(std::string(id));
        if (it == visits_.end()) {
            // Unknown (new, or from before a restart): a new session. A
            // load generator without cookies makes one per request: bound
            // the memory they take.
            if (visits_.size() >= kMaxSessions) visits_.clear();
            std::string fresh = fmt::format("{:016x}", rng_());
            it = visits_.emplace(std::move(fresh), 0).first;
        }
        ++it->second;
        return {visits_reply(it->second, "session=" + it->first), {}};
    }
    bool process_local_state() const override { return true; }

  private:
    static constexpr size_t kMaxSessions = 100000;
    std::mutex mtx_;
    std::mt19937_64 rng_;
    std::unordered_map<std::string, uint64_t> visits_;
};

class StatelessCounter final : public Service {
  public:
    Plan plan(const Request& request) override {
        if (auto r = not_the_counter(request)) return {std::move(r), {}};
        std::string_view text = cookie_value(request.cookie, "visits");
        uint64_t visits = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), visits);
        if (ec != std::errc() || end != text.data() + text.size()) visits = 0;  // none or forged
        ++visits;
        return {visits_reply(visits, fmt::format("visits={}", visits)), {}};
    }
};

}  // namespace

std::unique_ptr<Service> make_stateful_counter() {
    return std::make_unique<StatefulCounter>();
}

std::unique_ptr<Service> make_stateless_counter() {
    return std::make_unique<StatelessCounter>();
}

}  // namespace ptv::servers::http
