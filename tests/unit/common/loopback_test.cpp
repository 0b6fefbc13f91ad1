// Which hosts count as this machine (plain http:// is accepted only to them: the MSN
// Passport login, the RCS platforms).
#include "common/loopback.hpp"

#include <gtest/gtest.h>

namespace passerelle {
namespace {

TEST(Loopback, AddressesAndLocalhostOnly) {
  for (const char* h :
       {"localhost", "localhost.", "127.0.0.1", "127.1.2.3", "::1", "[::1]", "::ffff:127.0.0.1"})
    EXPECT_TRUE(is_loopback_host(h)) << h;
  for (const char* h : {"127.example.com", "127.evil.example", "127.0.0.1.example", "example.com",
                        "10.0.0.1", "::2", "[::2]", "128.0.0.1", "", "[]", "localhost.example"})
    EXPECT_FALSE(is_loopback_host(h)) << h;
}

}  // namespace
}  // namespace passerelle
