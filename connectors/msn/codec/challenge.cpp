#include "msn/codec/challenge.hpp"

#include <openssl/evp.h>

#include <array>
#include <cstring>

#include "core/hex.hpp"

namespace passerelle::msn {

namespace {

using Md5 = std::array<unsigned char, 16>;

// The only place libcrypto is used by the codec.
bool md5(std::string_view a, std::string_view b, Md5& out) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) return false;
  unsigned int len = 0;
  const bool ok = EVP_DigestInit_ex(ctx, EVP_md5(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx, a.data(), a.size()) == 1 &&
                  EVP_DigestUpdate(ctx, b.data(), b.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, out.data(), &len) == 1 && len == out.size();
  EVP_MD_CTX_free(ctx);
  return ok;
}

std::uint32_t le32(const unsigned char* p) {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
}

void put_le32(unsigned char* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}

Status check_challenge(std::string_view c) {
  if (c.empty() || c.size() > kMaxChallenge) {
    return Error::invalid("CHL challenge empty or longer than " + std::to_string(kMaxChallenge));
  }
  for (char ch : c) {
    if (ch < 0x21 || ch > 0x7E) return Error::invalid("CHL challenge is not printable ASCII");
  }
  return {};
}

}  // namespace

Result<std::string> chl_response_msnp8(std::string_view challenge, const ProductKey& product) {
  if (auto st = check_challenge(challenge); !st) return st.error();
  Md5 d{};
  if (!md5(challenge, product.key, d)) return Error{Errc::internal, "MD5 unavailable", false, 0};
  return to_hex(d.data(), d.size());
}

Result<std::string> chl_response_msnp11(std::string_view challenge, const ProductKey& product) {
  if (auto st = check_challenge(challenge); !st) return st.error();
  constexpr std::uint64_t kMod = 0x7FFFFFFF;
  constexpr std::uint64_t kMagic = 0x0E79A9C1;

  // 1. MD5(challenge + product key) as four little-endian words, top bit cleared.
  Md5 d{};
  if (!md5(challenge, product.key, d)) return Error{Errc::internal, "MD5 unavailable", false, 0};
  std::uint64_t h[4];
  for (int i = 0; i < 4; ++i) h[i] = le32(d.data() + 4 * i) & kMod;

  // 2. challenge + product id, padded with '0' to a multiple of 8 bytes (no padding when
  //    already a multiple), read as little-endian words.
  std::string s;
  s.reserve(challenge.size() + product.id.size() + 8);
  s.append(challenge).append(product.id);
  if (s.size() % 8 != 0) s.append(8 - s.size() % 8, '0');
  const auto* b = reinterpret_cast<const unsigned char*>(s.data());

  // 3. The 64-bit key, two words at a time.
  std::uint64_t high = 0;
  std::uint64_t low = 0;
  for (std::size_t i = 0; i < s.size(); i += 8) {
    std::uint64_t temp = (le32(b + i) * kMagic) % kMod;
    temp = (h[0] * (temp + high) + h[1]) % kMod;
    high = (le32(b + i + 4) + temp) % kMod;
    high = (h[2] * high + h[3]) % kMod;
    low += high + temp;
  }
  high = (high + h[1]) % kMod;
  low = (low + h[3]) % kMod;

  // 4. XOR the original MD5 words with high, low, high, low.
  for (int i = 0; i < 4; ++i) {
    const auto k = static_cast<std::uint32_t>(i % 2 == 0 ? high : low);
    put_le32(d.data() + 4 * i, le32(d.data() + 4 * i) ^ k);
  }
  return to_hex(d.data(), d.size());
}

Result<Command> answer_challenge(const Command& chl, std::uint32_t trid, int version) {
  if (chl.verb != "CHL" || chl.args.empty()) return Error::invalid("not a CHL command");
  const std::string& challenge = chl.args.back();
  const ProductKey& product = version >= 11 ? kMsnp11Product : kMsnp8Product;
  auto answer = version >= 11 ? chl_response_msnp11(challenge, product)
                              : chl_response_msnp8(challenge, product);
  if (!answer) return answer.error();
  Command qry;
  qry.verb = "QRY";
  qry.trid = trid;
  qry.args.emplace_back(product.id);
  qry.payload = std::move(answer).value();
  return qry;
}

}  // namespace passerelle::msn
