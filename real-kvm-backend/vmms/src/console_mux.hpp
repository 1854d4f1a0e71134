// The console multiplexer: one serial port per VM, many readers. Each VM's
// output is kept as a backlog of its last 64 KiB (what `ptv vm console`
// shows first) and passed on to every client attached to that VM; the
// worker's end and the VM's deletion reach them as events.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

namespace ptv::vmms {

class ConsoleMux {
  public:
    static constexpr size_t kBacklog = 64u << 10;

    // How a line reaches a client (the service's reply: it may close the
    // client, which then detaches).
    using Send = std::function<void(int client, const nlohmann::json& message)>;
    explicit ConsoleMux(Send send) : send_(std::move(send)) {}

    void attach(const std::string& vm, int client);
    void detach(const std::string& vm, int client);

    // The worker's serial output, as the control channel's text (bytes as
    // code points U+0000..U+00FF).
    void output(const std::string& vm, const nlohmann::json& text);
    // A line such as {"event":"worker-died"} to every attached client.
    void event(const std::string& vm, const nlohmann::json& message);

    std::string backlog(const std::string& vm) const;  // raw bytes
    void clear(const std::string& vm);                 // a new worker starts afresh
    void forget(const std::string& vm);                // the VM is deleted

  private:
    struct Console {
        std::string backlog;
        std::set<int> clients;
    };
    void send_all(const std::string& vm, const nlohmann::json& message);

    std::map<std::string, Console> consoles_;
    Send send_;
};

}  // namespace ptv::vmms
