#include "config/secrets.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace passerelle::config {

Result<std::string> read_secret_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return Error::invalid("cannot read secret file '" + path + "': " + std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    return Error::invalid("secret file '" + path + "' is not a regular file");
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Error::invalid("cannot read secret file '" + path +
                          "': " + (errno != 0 ? std::strerror(errno) : "open failed"));
  std::string line;
  std::getline(in, line);
  if (in.bad()) return Error::invalid("cannot read secret file '" + path + "': I/O error");
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  if (line.empty())
    return Error::invalid("secret file '" + path + "' is empty (the secret is its first line)");
  return line;
}

bool is_world_readable(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && (st.st_mode & S_IROTH) != 0;
}

}  // namespace passerelle::config
