#pragma once
// A loopback XEP-0114 server for the XMPP unit tests (tests/unit/xmpp).

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>

namespace passerelle::xmpp {

// Binds `fd` to 127.0.0.1 on a port the kernel picks, and returns that port.
inline int bind_loopback(int fd) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

// A loopback XEP-0114 server that speaks just enough for a component to come up: answers
// the stream header, accepts any <handshake/>, then lets the test read and write raw.
class FakeComponentServer {
 public:
  FakeComponentServer() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    port_ = bind_loopback(listen_fd_);
    ::listen(listen_fd_, 1);
  }
  ~FakeComponentServer() {
    if (fd_ >= 0) ::close(fd_);
    ::close(listen_fd_);
  }
  int port() const { return port_; }

  // Accepts the component's connection (already connected: the listen queue holds it).
  bool accept(std::chrono::milliseconds timeout) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return false;
    fd_ = ::accept(listen_fd_, nullptr, nullptr);
    return fd_ >= 0;
  }
  void write_stream_header() {
    write(
        "<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' "
        "xmlns='jabber:component:accept' id='s1' from='sms.example.org'>");
  }
  // Accepts the component and completes the handshake (the component's loop runs on
  // another thread).
  bool serve_handshake(std::chrono::milliseconds timeout) {
    if (!accept(timeout) || !read_until("jabber:component:accept", timeout)) return false;
    write_stream_header();
    if (!read_until("</handshake>", timeout)) return false;
    write("<handshake/>");
    return true;
  }
  void write(const std::string& s) {
    ASSERT_EQ(::write(fd_, s.data(), s.size()), ssize_t(s.size()));
  }
  // Reads until `needle` has arrived (since the last match), or the time is up (with no
  // time at all, takes what is already there).
  bool read_until(const std::string& needle, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (auto at = buf_.find(needle); at != std::string::npos) {
        buf_.erase(0, at + needle.size());
        return true;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(0, left.count()))) != 1)
        return false;
      char chunk[4096];
      const ssize_t n = ::read(fd_, chunk, sizeof chunk);
      if (n <= 0) return false;
      buf_.append(chunk, static_cast<std::size_t>(n));
    }
  }

 private:
  int listen_fd_ = -1;
  int fd_ = -1;
  int port_ = 0;
  std::string buf_;
};

}  // namespace passerelle::xmpp
