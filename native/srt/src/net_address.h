// Numeric IPv4/IPv6 socket addresses for libsrt calls. Name resolution is done
// in TypeScript (dns.lookup), never here, so no call blocks the main thread.
#pragma once

#include <sys/socket.h>

#include <string>

namespace srtnative {

struct NetAddress {
  sockaddr_storage storage{};
  int length = 0;

  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  sockaddr* get() { return reinterpret_cast<sockaddr*>(&storage); }
};

// Fills `out` from a numeric host ("127.0.0.1", "::1", "0.0.0.0") and a port.
bool ParseAddress(const std::string& host, int port, NetAddress* out);

// Host and port of a socket address; false for a family other than IPv4/IPv6.
bool FormatAddress(const sockaddr* addr, std::string* host, int* port);

}  // namespace srtnative
