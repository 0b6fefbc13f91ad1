#include "oscar/codec/buddy.hpp"

#include "oscar/codec/fault.hpp"
#include "oscar/codec/userinfo.hpp"

namespace passerelle::oscar {

Result<std::vector<std::string>> parse_screen_name_list(ByteView body, std::size_t max) {
  ByteReader r(body);
  std::vector<std::string> names;
  while (!r.at_end()) {
    if (names.size() >= max) {
      return make_fault(Fault::too_many_items,
                        "more than " + std::to_string(max) + " screen names in one SNAC");
    }
    auto sn = read_screen_name(r);
    if (!sn) return sn.error();
    names.push_back(std::move(*sn));
  }
  return names;
}

Status append_screen_name_list(Bytes& out, const std::vector<std::string>& names) {
  const std::size_t start = out.size();
  for (const auto& n : names) {
    if (auto s = append_screen_name(out, n); !s) {
      out.resize(start);
      return s;
    }
  }
  return {};
}

}  // namespace passerelle::oscar
