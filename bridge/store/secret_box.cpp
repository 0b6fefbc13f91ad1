#include "store/secret_box.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "core/hex.hpp"

namespace passerelle::store {
namespace {

constexpr std::size_t kNonce = 12;
constexpr std::size_t kTag = 16;

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

std::string errno_words() {
  return std::strerror(errno);
}

Result<SecretBox> create_key_file(const std::string& path) {
  std::array<unsigned char, 32> key{};
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1)
    return Error{Errc::internal, "store.key_file: no randomness for a new key", false, 0};
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return Error{Errc::internal, "store.key_file " + path + ": cannot create: " + errno_words(),
                 false, 0};
  const std::string text = to_hex(key.data(), key.size()) + "\n";
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return Error{Errc::internal, "store.key_file " + path + ": cannot write the new key", false, 0};
  }
  SecretBox box(key);
  return box;
}

}  // namespace

Result<SecretBox> SecretBox::load_or_create(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT)
      return Error{Errc::internal, "store.key_file " + path + ": " + errno_words(), false, 0};
    auto made = create_key_file(path);
    if (made.ok()) made->created_ = true;
    return made;
  }
  if (!S_ISREG(st.st_mode))
    return Error::invalid("store.key_file " + path + " is not a regular file");
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Error::invalid("store.key_file " + path + " may be read or written by others (mode " +
                          mode + "): run chmod 600 " + path);
  }
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string hex = text.str();
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r')) hex.pop_back();
  std::string raw;
  if (!in || hex.size() != 64 || !from_hex(hex, raw))
    return Error::invalid("store.key_file " + path +
                          " does not hold a key (64 hex digits): restore the file the bridge "
                          "created, or move it away to start with a new key (passwords "
                          "sealed under the old one must then be registered again)");
  std::array<unsigned char, 32> key{};
  std::memcpy(key.data(), raw.data(), key.size());
  return SecretBox(key);
}

Result<std::string> SecretBox::seal(std::string_view plain, std::string_view context) const {
  unsigned char nonce[kNonce];
  if (RAND_bytes(nonce, sizeof nonce) != 1)
    return Error{Errc::internal, "sealing a secret: no randomness", false, 0};
  Ctx ctx(EVP_CIPHER_CTX_new());
  std::string buf(kNonce + plain.size() + kTag, '\0');
  auto* out = reinterpret_cast<unsigned char*>(buf.data());
  std::memcpy(out, nonce, kNonce);
  int n = 0, fin = 0;
  const bool ok =
      ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), nonce) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &n,
                        reinterpret_cast<const unsigned char*>(context.data()),
                        static_cast<int>(context.size())) == 1 &&
      EVP_EncryptUpdate(ctx.get(), out + kNonce, &n,
                        reinterpret_cast<const unsigned char*>(plain.data()),
                        static_cast<int>(plain.size())) == 1 &&
      EVP_EncryptFinal_ex(ctx.get(), out + kNonce + n, &fin) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTag),
                          out + kNonce + plain.size()) == 1;
  if (!ok) return Error{Errc::internal, "sealing a secret failed (OpenSSL)", false, 0};
  return std::string(kPrefix) + to_hex(out, buf.size());
}

Result<std::string> SecretBox::open(std::string_view sealed, std::string_view context) const {
  if (!is_sealed(sealed)) return Error::invalid("not a sealed secret");
  std::string raw;
  if (!from_hex(sealed.substr(kPrefix.size()), raw) || raw.size() < kNonce + kTag)
    return Error::invalid("a sealed secret is damaged");
  const auto* in = reinterpret_cast<const unsigned char*>(raw.data());
  const std::size_t len = raw.size() - kNonce - kTag;
  std::string plain(len, '\0');
  Ctx ctx(EVP_CIPHER_CTX_new());
  int n = 0, fin = 0;
  auto* tag = const_cast<unsigned char*>(in + kNonce + len);
  const bool ok =
      ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), in) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &n,
                        reinterpret_cast<const unsigned char*>(context.data()),
                        static_cast<int>(context.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &n, in + kNonce,
                        static_cast<int>(len)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTag), tag) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + n, &fin) == 1;
  if (!ok)
    return Error::invalid(
        "a sealed secret does not open with store.key_file (another key, or damaged)");
  return plain;
}

}  // namespace passerelle::store
