#include "smpp/codec/segmenter.hpp"

#include "smpp/codec/gsm0338.hpp"

namespace passerelle::smpp {

const char* sms_encoding_name(SmsEncoding e) {
  return e == SmsEncoding::gsm7 ? "GSM 7-bit" : "UCS-2";
}

namespace {

struct Limits {
  std::size_t single;
  std::size_t multi;
};

Limits limits_for(SmsEncoding e, RefSize r) {
  const bool r8 = r == RefSize::bits8;
  return e == SmsEncoding::gsm7 ? Limits{160, r8 ? 153u : 152u} : Limits{70, r8 ? 67u : 66u};
}

// Greedy split of a sequence of atoms (1 or 2 units each) into chunks of at most `limit`
// units; calls cut(end_index) at each chunk end.
template <typename Sizes, typename Cut>
std::size_t split(const Sizes& sizes, std::size_t limit, Cut cut) {
  std::size_t n = 0, used = 0;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    if (used + sizes[i] > limit) {
      cut(i);
      ++n;
      used = 0;
    }
    used += sizes[i];
  }
  cut(sizes.size());
  return n + 1;
}

struct Atoms {
  SmsEncoding encoding;
  std::vector<std::uint8_t> sizes;  // units of each character
  std::size_t units = 0;
};

Result<Atoms> atoms_of(std::string_view utf8) {
  auto cps = utf8_to_code_points(utf8);
  if (!cps) return cps.error();
  Atoms a{SmsEncoding::gsm7, {}, 0};
  a.sizes.reserve(cps->size());
  for (char32_t cp : *cps) {
    const int k = gsm7_septets(cp);
    if (k == 0) {
      a.encoding = SmsEncoding::ucs2;
      break;
    }
    a.sizes.push_back(static_cast<std::uint8_t>(k));
  }
  if (a.encoding == SmsEncoding::ucs2) {
    a.sizes.clear();
    for (char32_t cp : *cps) a.sizes.push_back(cp < 0x10000 ? 1 : 2);
  }
  for (auto s : a.sizes) a.units += s;
  return a;
}

std::uint8_t coding_of(SmsEncoding e) {
  return e == SmsEncoding::gsm7 ? coding::smsc_default : coding::ucs2;
}

}  // namespace

Result<SegmentCount> count_segments(std::string_view utf8, RefSize ref_size) {
  auto a = atoms_of(utf8);
  if (!a) return a.error();
  const Limits lim = limits_for(a->encoding, ref_size);
  SegmentCount c{a->encoding, coding_of(a->encoding), a->units, 1};
  if (a->units > lim.single) c.segments = split(a->sizes, lim.multi, [](std::size_t) {});
  return c;
}

Result<Segments> segment(std::string_view utf8, std::uint16_t ref, RefSize ref_size) {
  auto a = atoms_of(utf8);
  if (!a) return a.error();
  auto encoded = a->encoding == SmsEncoding::gsm7 ? utf8_to_gsm7(utf8) : utf8_to_ucs2(utf8);
  if (!encoded) return encoded.error();
  const std::size_t octets_per_unit = a->encoding == SmsEncoding::gsm7 ? 1 : 2;
  const Limits lim = limits_for(a->encoding, ref_size);

  Segments out;
  out.encoding = a->encoding;
  out.data_coding = coding_of(a->encoding);
  if (a->units <= lim.single) {
    out.payloads.push_back(std::move(*encoded));
    return out;
  }
  // Chunk boundaries in atoms, then in octets of the encoded text.
  std::vector<std::size_t> ends;
  split(a->sizes, lim.multi, [&](std::size_t end) { ends.push_back(end); });
  if (ends.size() > kMaxSegments) {
    return Error::limit("text needs " + std::to_string(ends.size()) + " SMS segments; at most 255");
  }
  if (ref_size == RefSize::bits8) ref &= 0xFF;
  out.udhi = true;
  std::size_t atom = 0, octet = 0;
  for (std::size_t s = 0; s < ends.size(); ++s) {
    std::size_t len = 0;
    for (; atom < ends[s]; ++atom) len += a->sizes[atom] * octets_per_unit;
    std::string p;
    append_concat_udh(p, Concat{ref, static_cast<std::uint8_t>(ends.size()),
                                static_cast<std::uint8_t>(s + 1), ref_size});
    p.append(*encoded, octet, len);
    octet += len;
    out.payloads.push_back(std::move(p));
  }
  return out;
}

}  // namespace passerelle::smpp
