#include "oscar/codec/oservice.hpp"

#include "oscar/codec/fault.hpp"
#include "oscar/codec/tlv.hpp"

namespace passerelle::oscar {

namespace {

constexpr std::size_t kRateClassSize = 35;

Error too_many(const char* what, std::size_t max) {
  return make_fault(Fault::too_many_items,
                    std::string("more than ") + std::to_string(max) + " " + what);
}

bool read_class(ByteReader& r, RateClass& c) {
  return r.u16(c.id) && r.u32(c.window) && r.u32(c.clear_level) && r.u32(c.alert_level) &&
         r.u32(c.limit_level) && r.u32(c.disconnect_level) && r.u32(c.current_level) &&
         r.u32(c.max_level) && r.u32(c.last_time) && r.u8(c.state);
}

void put_class(Bytes& out, const RateClass& c) {
  put_u16(out, c.id);
  put_u32(out, c.window);
  put_u32(out, c.clear_level);
  put_u32(out, c.alert_level);
  put_u32(out, c.limit_level);
  put_u32(out, c.disconnect_level);
  put_u32(out, c.current_level);
  put_u32(out, c.max_level);
  put_u32(out, c.last_time);
  put_u8(out, c.state);
}

}  // namespace

Result<std::vector<std::uint16_t>> parse_family_list(ByteView body) {
  if (body.size() % 2 != 0) return make_fault(Fault::truncated, "family list of odd length");
  if (body.size() / 2 > kMaxFamilies) return too_many("families", kMaxFamilies);
  ByteReader r(body);
  std::vector<std::uint16_t> v(body.size() / 2);
  for (auto& f : v) r.u16(f);
  return v;
}

void append_family_list(Bytes& out, const std::vector<std::uint16_t>& families) {
  for (auto f : families) put_u16(out, f);
}

Result<std::vector<FamilyVersion>> parse_family_versions(ByteView body) {
  if (body.size() % 4 != 0) {
    return make_fault(Fault::truncated, "family version list not a multiple of 4 bytes");
  }
  if (body.size() / 4 > kMaxFamilies) return too_many("family versions", kMaxFamilies);
  ByteReader r(body);
  std::vector<FamilyVersion> v(body.size() / 4);
  for (auto& e : v) {
    r.u16(e.family);
    r.u16(e.version);
  }
  return v;
}

void append_family_versions(Bytes& out, const std::vector<FamilyVersion>& v) {
  for (const auto& e : v) {
    put_u16(out, e.family);
    put_u16(out, e.version);
  }
}

Result<std::vector<ClientOnlineEntry>> parse_client_online(ByteView body) {
  if (body.size() % 8 != 0) {
    return make_fault(Fault::truncated, "client online list not a multiple of 8 bytes");
  }
  if (body.size() / 8 > kMaxFamilies) return too_many("client online entries", kMaxFamilies);
  ByteReader r(body);
  std::vector<ClientOnlineEntry> v(body.size() / 8);
  for (auto& e : v) {
    r.u16(e.family);
    r.u16(e.version);
    r.u16(e.tool_id);
    r.u16(e.tool_version);
  }
  return v;
}

void append_client_online(Bytes& out, const std::vector<ClientOnlineEntry>& v) {
  for (const auto& e : v) {
    put_u16(out, e.family);
    put_u16(out, e.version);
    put_u16(out, e.tool_id);
    put_u16(out, e.tool_version);
  }
}

Result<std::vector<RateClass>> parse_rate_params(ByteView body) {
  ByteReader r(body);
  std::uint16_t n = 0;
  if (!r.u16(n)) return make_fault(Fault::truncated, "rate parameters: class count missing");
  if (n > kMaxRateClasses) return too_many("rate classes", kMaxRateClasses);
  if (r.remaining() < std::size_t{n} * kRateClassSize) {
    return make_fault(Fault::truncated, "rate parameters: " + std::to_string(n) +
                                            " classes announced, fewer present");
  }
  std::vector<RateClass> classes(n);
  for (auto& c : classes) read_class(r, c);
  for (std::size_t i = 0; i < classes.size(); ++i) {
    for (std::size_t k = 0; k < i; ++k) {
      if (classes[k].id == classes[i].id) {
        return make_fault(Fault::bad_value,
                          "rate parameters: class " + std::to_string(classes[i].id) + " twice");
      }
    }
  }
  // Then one member group per class, in any order.
  std::vector<bool> seen(n, false);
  std::size_t members = 0;
  for (std::uint16_t i = 0; i < n; ++i) {
    std::uint16_t id = 0, count = 0;
    if (!r.u16(id) || !r.u16(count)) {
      return make_fault(Fault::truncated, "rate parameters: member group header cut short");
    }
    members += count;
    if (members > kMaxRateMembers) return too_many("rate class members", kMaxRateMembers);
    std::size_t at = n;
    for (std::size_t k = 0; k < n; ++k) {
      if (classes[k].id == id) at = k;
    }
    if (at == n || seen[at]) {
      return make_fault(
          Fault::bad_value,
          "rate parameters: members for unknown or repeated class " + std::to_string(id));
    }
    seen[at] = true;
    if (r.remaining() < std::size_t{count} * 4) {
      return make_fault(Fault::truncated, "rate parameters: member list cut short");
    }
    RateClass& c = classes[at];
    c.members.resize(count);
    for (auto& m : c.members) {
      r.u16(m.family);
      r.u16(m.subtype);
    }
  }
  // Some servers send nothing after the member groups, some pad; neither matters.
  return classes;
}

void append_rate_params(Bytes& out, const std::vector<RateClass>& classes) {
  put_u16(out, static_cast<std::uint16_t>(classes.size()));
  for (const auto& c : classes) put_class(out, c);
  for (const auto& c : classes) {
    put_u16(out, c.id);
    put_u16(out, static_cast<std::uint16_t>(c.members.size()));
    for (const auto& m : c.members) {
      put_u16(out, m.family);
      put_u16(out, m.subtype);
    }
  }
}

const RateClass* rate_class_for(const std::vector<RateClass>& classes, std::uint16_t family,
                                std::uint16_t subtype) {
  for (const auto& c : classes) {
    for (const auto& m : c.members) {
      if (m.family == family && m.subtype == subtype) return &c;
    }
  }
  return nullptr;
}

void append_rate_ack(Bytes& out, const std::vector<RateClass>& classes) {
  for (const auto& c : classes) put_u16(out, c.id);
}

Result<RateChange> parse_rate_change(ByteView body) {
  ByteReader r(body);
  RateChange rc;
  if (!r.u16(rc.code) || !read_class(r, rc.params)) {
    return make_fault(Fault::truncated, "rate change cut short");
  }
  return rc;
}

Result<SnacErrorBody> parse_snac_error(ByteView body) {
  ByteReader r(body);
  SnacErrorBody e;
  if (!r.u16(e.code)) return make_fault(Fault::truncated, "SNAC error without its code");
  if (!r.at_end()) {
    // The TLVs are advisory; a malformed chain does not hide the code.
    if (auto tlvs = read_tlv_chain(r); tlvs) e.subcode = tlvs->u16(0x0008);
  }
  return e;
}

void append_snac_error(Bytes& out, std::uint16_t code) {
  put_u16(out, code);
}

void append_set_icq_status(Bytes& out, std::uint32_t status) {
  append_tlv_u32(out, 0x0006, status);
}

}  // namespace passerelle::oscar
