#include "oscar/codec/bucp.hpp"

#include <openssl/evp.h>

#include <memory>

namespace passerelle::oscar {

namespace {

struct CtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

Error md5_unavailable() {
  return Error{Errc::internal, "OSCAR login: MD5 not available from OpenSSL", false, 0};
}

Result<Md5Digest> md5_of(std::initializer_list<ByteView> parts) {
  std::unique_ptr<EVP_MD_CTX, CtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_md5(), nullptr) != 1) return md5_unavailable();
  for (ByteView p : parts) {
    if (EVP_DigestUpdate(ctx.get(), p.data(), p.size()) != 1) return md5_unavailable();
  }
  Md5Digest d{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), d.data(), &len) != 1 || len != d.size()) {
    return md5_unavailable();
  }
  return d;
}

}  // namespace

Result<Md5Digest> md5(ByteView data) {
  return md5_of({data});
}

Result<Md5Digest> bucp_weak_hash(std::string_view authkey, std::string_view password) {
  return md5_of({as_bytes(authkey), as_bytes(password), as_bytes(kAimMd5Suffix)});
}

Result<Md5Digest> bucp_strong_hash(std::string_view authkey, std::string_view password) {
  auto inner = md5(as_bytes(password));
  if (!inner) return inner.error();
  return md5_of({as_bytes(authkey), ByteView(*inner), as_bytes(kAimMd5Suffix)});
}

Bytes roast_password(std::string_view password) {
  Bytes out(password.size());
  for (std::size_t i = 0; i < password.size(); ++i) {
    out[i] = static_cast<std::uint8_t>(password[i]) ^ kRoastTable[i % kRoastTable.size()];
  }
  return out;
}

}  // namespace passerelle::oscar
