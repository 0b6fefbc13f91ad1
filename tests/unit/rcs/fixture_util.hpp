#pragma once
// Reading tests/peers/rcs/fixtures and comparing JSON for the RCS codec's tests.

#include <boost/json.hpp>
#include <cmath>
#include <string>

#include "../common/read_file.hpp"

namespace passerelle::rcs::test {

namespace json = boost::json;

inline std::string read_fixture(const std::string& rel) {
  return passerelle::testing::read_file(std::string(PASSERELLE_RCS_FIXTURES_DIR) + "/" + rel);
}

inline json::value fixture_json(const std::string& rel) {
  return json::parse(read_fixture(rel));
}

// The value without members set to null (at every level): null is absent for the platform.
inline json::value strip_nulls(const json::value& v) {
  if (v.is_object()) {
    json::object out;
    for (const auto& [k, m] : v.as_object()) {
      if (!m.is_null()) out[k] = strip_nulls(m);
    }
    return out;
  }
  if (v.is_array()) {
    json::array out;
    for (const auto& m : v.as_array()) out.push_back(strip_nulls(m));
    return out;
  }
  return v;
}

// Compact serialisation, members in the fixture's order: what "byte for byte" compares
// against (the fixtures are indented by hand).
inline std::string compact(const json::value& v) {
  return json::serialize(v);
}

// JSON equality: members in any order, integers exactly, doubles within 1e-12 relative
// (Boost.JSON writes them in exponent form, so the text differs).
inline bool json_equal(const json::value& a, const json::value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_double() || b.is_double()) {
      const double x = a.to_number<double>(), y = b.to_number<double>();
      return std::fabs(x - y) <= 1e-12 * std::fmax(1.0, std::fmax(std::fabs(x), std::fabs(y)));
    }
    return a == b;
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_object()) {
    const auto& x = a.as_object();
    const auto& y = b.as_object();
    if (x.size() != y.size()) return false;
    for (const auto& [k, v] : x) {
      const json::value* w = y.if_contains(k);
      if (w == nullptr || !json_equal(v, *w)) return false;
    }
    return true;
  }
  if (a.is_array()) {
    const auto& x = a.as_array();
    const auto& y = b.as_array();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!json_equal(x[i], y[i])) return false;
    }
    return true;
  }
  return a == b;
}

}  // namespace passerelle::rcs::test
