#pragma once
// The pure parts of GET/HEAD /files/{token}/{name} (admin_server.cpp serves it): splitting
// the target, the Range header (RFC 9110 §14.2, a single byte range), the
// Content-Disposition value (RFC 6266 with RFC 8187 filename*), and a Beast body that sends
// one range of an open file in 64 KiB reads, never the whole file in memory.

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/file.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace passerelle::files {

struct Target {
  std::string token;
  std::string name;  // percent-decoded
};
// "/files/{token}/{name}[?query]" → token and decoded name; nullopt for anything else
// (missing parts, a '/' after the name, bad %XX).
std::optional<Target> parse_target(std::string_view target);
bool is_files_target(std::string_view target);  // starts with "/files/"

struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t length = 0;
};
enum class RangeKind { whole, partial, unsatisfiable };
struct RangeAnswer {
  RangeKind kind = RangeKind::whole;
  ByteRange range;
};
// The answer to a Range header value for a representation of `size` bytes. Absent, not
// "bytes=", several ranges or bad syntax: the whole file (a server may ignore Range).
RangeAnswer parse_range(std::string_view header, std::uint64_t size);

// attachment; filename*=UTF-8''<percent-encoded name>
std::string content_disposition(std::string_view name);

// A Beast body: `length` bytes of `file` from `offset`.
struct FileRangeBody {
  struct value_type {
    boost::beast::file file;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
  };
  static std::uint64_t size(const value_type& v) { return v.length; }

  class writer {
   public:
    using const_buffers_type = boost::asio::const_buffer;
    template <bool isRequest, class Fields>
    writer(boost::beast::http::header<isRequest, Fields>&, value_type& body) : body_(body) {}

    void init(boost::beast::error_code& ec) {
      remain_ = body_.length;
      buf_.resize(64 * 1024);
      body_.file.seek(body_.offset, ec);
    }

    boost::optional<std::pair<const_buffers_type, bool>> get(boost::beast::error_code& ec) {
      ec = {};
      if (remain_ == 0) return boost::none;
      const std::size_t want =
          remain_ < buf_.size() ? static_cast<std::size_t>(remain_) : buf_.size();
      const std::size_t n = body_.file.read(buf_.data(), want, ec);
      if (ec) return boost::none;
      if (n == 0) {  // the file shrank under us
        ec = boost::beast::http::error::short_read;
        return boost::none;
      }
      remain_ -= n;
      return std::make_pair(const_buffers_type(buf_.data(), n), remain_ > 0);
    }

   private:
    value_type& body_;
    std::uint64_t remain_ = 0;
    std::vector<char> buf_;
  };
};

}  // namespace passerelle::files
