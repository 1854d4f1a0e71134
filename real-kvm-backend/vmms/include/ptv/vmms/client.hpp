// The management service's socket, from the client's side: where it is by
// default, and one request/reply exchange (README.md has the protocol).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "ptv/worker/control.hpp"

namespace ptv::vmms {

// $PTV_VMMS_SOCKET, else /run/ptvlab/vmms.sock for root, else
// $XDG_RUNTIME_DIR/ptvlab/vmms.sock (or /tmp/ptvlab-UID/vmms.sock).
std::string default_socket_path();
// $PTV_VMMS_STATE_DIR, else /var/lib/ptvlab for root, else
// $XDG_STATE_HOME/ptvlab (or ~/.local/state/ptvlab).
std::string default_state_dir();

// A connection to the service. Throws ptv::UsageError (one line: no service
// there, start it with 'ptv vmms start') when nobody listens.
class Client {
  public:
    explicit Client(const std::string& socket_path);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // Sends one request and waits for its reply ({"ok":true,...} or
    // {"ok":false,"status":N,"error":"..."}).
    nlohmann::json request(const nlohmann::json& req);
    void send(const nlohmann::json& message);
    // Next message from the service; false at end of stream.
    bool next(nlohmann::json& message) { return reader_.next(message); }
    int fd() const { return fd_; }
    worker::MessageReader& reader() { return reader_; }

  private:
    int fd_ = -1;
    worker::MessageReader reader_{-1};
};

}  // namespace ptv::vmms
