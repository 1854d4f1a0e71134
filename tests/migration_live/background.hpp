// A program the test runs in the background with its output going to
// files it can read while the program runs (ptv migrate listen, ptv
// migrate live), plus a TCP proxy the test puts between the two sides to
// cut or slow the connection.
#pragma once

#include <netinet/in.h>
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "process.hpp"

namespace ptv::test {

class Background {
  public:
    Background(const std::vector<std::string>& argv, const TempDir& dir, const std::string& tag);
    ~Background();  // kills it if it still runs
    pid_t pid() const { return pid_; }
    std::string out() const;
    std::string err() const;
    // Waits until stderr contains `text`; false after timeout_s.
    bool wait_err(const std::string& text, double timeout_s = 20) const;
    // Exit status or 128 + signal. A program still running after
    // `timeout_s` fails the test, is stopped (SIGTERM, then SIGKILL), and
    // 124 is returned: a hang is a failure, never a stuck suite.
    int wait(double timeout_s = 60);
    bool running() const { return pid_ > 0 && status_ < 0; }

  private:
    pid_t pid_ = -1;
    int status_ = -1;
    std::string out_path_, err_path_;
};

// Forwards one connection from 127.0.0.1:port() to 127.0.0.1:target, and
// after `cut_after` bytes from the client side closes both with a reset
// (a dropped connection); `bytes_per_s` > 0 slows the forwarding. Made
// unarmed, it cuts only once arm() was called (so a test can wait until
// the destination has taken the connection). freeze() stops forwarding
// either way but keeps both connections open: a path gone silent, with no
// TCP error to tell either side. `listen_ip` and `target_ip` put either end
// on another address than loopback (a bridge, a network namespace's host).
class Proxy {
  public:
    Proxy(uint16_t target, uint64_t cut_after, double bytes_per_s = 0, bool armed = true,
          const std::string& listen_ip = "127.0.0.1", const std::string& target_ip = "127.0.0.1");
    void arm() { armed_ = true; }
    void freeze() { frozen_ = true; }
    ~Proxy();
    uint16_t port() const { return port_; }
    uint64_t forwarded() const { return forwarded_.load(); }

  private:
    void run();
    int listen_fd_ = -1;
    uint16_t port_ = 0, target_;
    in_addr target_ip_{};
    uint64_t cut_after_;
    double rate_;
    std::atomic<uint64_t> forwarded_{0};
    std::atomic<bool> stop_{false}, armed_{true}, frozen_{false};
    std::thread thread_;
};

// A free TCP port on 127.0.0.1 (bound and released).
uint16_t free_port();

}  // namespace ptv::test
