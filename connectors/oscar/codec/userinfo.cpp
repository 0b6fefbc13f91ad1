#include "oscar/codec/userinfo.hpp"

#include <algorithm>

#include "oscar/codec/fault.hpp"

namespace passerelle::oscar {

IcqState icq_state(std::uint32_t status_tlv) {
  const auto s = static_cast<std::uint16_t>(status_tlv & 0xFFFF);
  if (s & icq_status::invisible) return IcqState::invisible;
  if (s & icq_status::dnd) return IcqState::dnd;
  if (s & icq_status::occupied) return IcqState::occupied;
  if (s & icq_status::not_available) return IcqState::not_available;
  if (s & icq_status::away) return IcqState::away;
  if (s & icq_status::free_for_chat) return IcqState::free_for_chat;
  return IcqState::online;
}

const char* icq_state_name(IcqState s) {
  switch (s) {
    case IcqState::online:
      return "online";
    case IcqState::free_for_chat:
      return "free for chat";
    case IcqState::away:
      return "away";
    case IcqState::not_available:
      return "not available";
    case IcqState::occupied:
      return "occupied";
    case IcqState::dnd:
      return "do not disturb";
    case IcqState::invisible:
      return "invisible";
  }
  return "?";
}

bool UserInfo::has_capability(const Capability& c) const {
  return std::find(capabilities.begin(), capabilities.end(), c) != capabilities.end();
}

Result<std::string> read_screen_name(ByteReader& r) {
  std::uint8_t len = 0;
  ByteView sn;
  if (!r.u8(len)) return make_fault(Fault::truncated, "screen name length missing");
  if (!r.bytes(len, sn)) {
    return make_fault(Fault::truncated,
                      "screen name of " + std::to_string(len) + " bytes runs past its structure");
  }
  return to_string(sn);
}

Status append_screen_name(Bytes& out, std::string_view sn) {
  if (sn.size() > kMaxScreenName) {
    return make_fault(Fault::value_too_long, "screen name over 255 bytes");
  }
  put_u8(out, static_cast<std::uint8_t>(sn.size()));
  put_string(out, sn);
  return {};
}

namespace {

// Takes a known TLV into its field; false when its length does not fit the type.
bool take_known(UserInfo& u, const TlvView& t) {
  ByteReader r(t.value);
  auto u16 = [&](std::optional<std::uint16_t>& f) {
    std::uint16_t v = 0;
    if (t.value.size() != 2 || !r.u16(v)) return false;
    f = v;
    return true;
  };
  auto u32 = [&](std::optional<std::uint32_t>& f) {
    std::uint32_t v = 0;
    if (t.value.size() != 4 || !r.u32(v)) return false;
    f = v;
    return true;
  };
  switch (t.type) {
    case user_tlv::user_class:
      return !u.user_class && u16(u.user_class);
    case user_tlv::signon_time:
      return !u.signon_time && u32(u.signon_time);
    case user_tlv::idle_minutes:
      return !u.idle_minutes && u16(u.idle_minutes);
    case user_tlv::member_since:
      return !u.member_since && u32(u.member_since);
    case user_tlv::icq_status:
      return !u.icq_status && u32(u.icq_status);
    case user_tlv::online_time:
      return !u.online_time && u32(u.online_time);
    case user_tlv::capabilities: {
      const std::size_t n = t.value.size() / 16;
      if (t.value.empty() || t.value.size() % 16 != 0 || n > kMaxCapabilities ||
          !u.capabilities.empty()) {
        return false;
      }
      u.capabilities.resize(n);
      for (std::size_t i = 0; i < n; ++i) {
        std::copy_n(t.value.begin() + static_cast<std::ptrdiff_t>(16 * i), 16,
                    u.capabilities[i].begin());
      }
      return true;
    }
    default:
      return false;
  }
}

}  // namespace

Result<UserInfo> read_user_info(ByteReader& r, std::size_t max_tlvs) {
  UserInfo u;
  auto sn = read_screen_name(r);
  if (!sn) return sn.error();
  u.screen_name = std::move(*sn);
  if (!r.u16(u.warning_level)) return make_fault(Fault::truncated, "user info: warning level");
  auto tlvs = read_tlv_block_counted(r, max_tlvs);
  if (!tlvs) return tlvs.error();
  for (const auto& t : *tlvs) {
    if (!take_known(u, t)) u.other.push_back(Tlv::of(t));
  }
  return u;
}

Result<UserInfo> parse_user_info(ByteView bytes) {
  ByteReader r(bytes);
  auto u = read_user_info(r);
  if (u && !r.at_end()) return make_fault(Fault::trailing_bytes, "bytes after the user info");
  return u;
}

Status append_user_info(Bytes& out, const UserInfo& u) {
  const std::size_t start = out.size();
  if (auto s = append_screen_name(out, u.screen_name); !s) return s;
  put_u16(out, u.warning_level);
  const std::size_t at = begin_tlv_block_counted(out);
  std::size_t n = 0;
  auto opt16 = [&](std::uint16_t type, const std::optional<std::uint16_t>& v) {
    if (!v) return;
    append_tlv_u16(out, type, *v);
    ++n;
  };
  auto opt32 = [&](std::uint16_t type, const std::optional<std::uint32_t>& v) {
    if (!v) return;
    append_tlv_u32(out, type, *v);
    ++n;
  };
  opt16(user_tlv::user_class, u.user_class);
  opt32(user_tlv::signon_time, u.signon_time);
  opt16(user_tlv::idle_minutes, u.idle_minutes);
  opt32(user_tlv::member_since, u.member_since);
  opt32(user_tlv::icq_status, u.icq_status);
  if (!u.capabilities.empty()) {
    if (u.capabilities.size() > kMaxCapabilities) {
      out.resize(start);
      return make_fault(Fault::too_many_items, "more than 64 capabilities");
    }
    put_u16(out, user_tlv::capabilities);
    put_u16(out, static_cast<std::uint16_t>(16 * u.capabilities.size()));
    for (const auto& c : u.capabilities) put_bytes(out, c);
    ++n;
  }
  opt32(user_tlv::online_time, u.online_time);
  for (const auto& t : u.other) {
    if (auto s = append_tlv(out, t); !s) {
      out.resize(start);
      return s;
    }
    ++n;
  }
  if (auto s = end_tlv_block_counted(out, at, n); !s) {
    out.resize(start);
    return s;
  }
  return {};
}

Result<std::vector<UserInfo>> parse_user_info_list(ByteView body, std::size_t max_users) {
  ByteReader r(body);
  std::vector<UserInfo> users;
  while (!r.at_end()) {
    if (users.size() >= max_users) {
      return make_fault(Fault::too_many_items,
                        "more than " + std::to_string(max_users) + " user info blocks in one SNAC");
    }
    auto u = read_user_info(r);
    if (!u) return u.error();
    users.push_back(std::move(*u));
  }
  return users;
}

}  // namespace passerelle::oscar
