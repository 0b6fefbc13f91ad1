#include "http/file_route.hpp"

#include <gtest/gtest.h>

namespace passerelle::files {
namespace {

TEST(FileRoute, SplitsTheTarget) {
  auto t = parse_target("/files/abc/na%20me%2F2.txt?x=1");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->token, "abc");
  EXPECT_EQ(t->name, "na me/2.txt");
  EXPECT_FALSE(parse_target("/files/abc").has_value());
  EXPECT_FALSE(parse_target("/files/abc/").has_value());
  EXPECT_FALSE(parse_target("/files//name").has_value());
  EXPECT_FALSE(parse_target("/files/abc/a/b").has_value());
  EXPECT_FALSE(parse_target("/files/abc/bad%2").has_value());
  EXPECT_FALSE(parse_target("/files/abc/bad%zz").has_value());
  EXPECT_FALSE(parse_target("/metrics").has_value());
  EXPECT_TRUE(is_files_target("/files/x"));
  EXPECT_FALSE(is_files_target("/filesx"));
}

TEST(FileRoute, Ranges) {
  const auto r = [](std::string_view h, std::uint64_t size) { return parse_range(h, size); };
  EXPECT_EQ(r("", 100).kind, RangeKind::whole);
  EXPECT_EQ(r("items=0-1", 100).kind, RangeKind::whole);
  EXPECT_EQ(r("bytes=0-1,5-6", 100).kind, RangeKind::whole);
  EXPECT_EQ(r("bytes=5-4", 100).kind, RangeKind::whole);
  EXPECT_EQ(r("bytes=x-4", 100).kind, RangeKind::whole);
  EXPECT_EQ(r("bytes=-", 100).kind, RangeKind::whole);

  auto a = r("bytes=10-19", 100);
  EXPECT_EQ(a.kind, RangeKind::partial);
  EXPECT_EQ(a.range.first, 10u);
  EXPECT_EQ(a.range.length, 10u);
  auto open = r("bytes=90-", 100);
  EXPECT_EQ(open.range.first, 90u);
  EXPECT_EQ(open.range.length, 10u);
  auto past = r("bytes=90-1000", 100);  // last clipped to the end
  EXPECT_EQ(past.range.length, 10u);
  auto suffix = r("bytes=-5", 100);
  EXPECT_EQ(suffix.range.first, 95u);
  EXPECT_EQ(suffix.range.length, 5u);
  auto big_suffix = r("bytes=-500", 100);
  EXPECT_EQ(big_suffix.range.first, 0u);
  EXPECT_EQ(big_suffix.range.length, 100u);

  EXPECT_EQ(r("bytes=100-", 100).kind, RangeKind::unsatisfiable);
  EXPECT_EQ(r("bytes=100-200", 100).kind, RangeKind::unsatisfiable);
  EXPECT_EQ(r("bytes=-0", 100).kind, RangeKind::unsatisfiable);
  EXPECT_EQ(r("bytes=0-", 0).kind, RangeKind::unsatisfiable);
}

TEST(FileRoute, ContentDispositionUsesRfc8187) {
  EXPECT_EQ(content_disposition("été \"x\".pdf"),
            "attachment; filename*=UTF-8''%C3%A9t%C3%A9%20%22x%22.pdf");
}

}  // namespace
}  // namespace passerelle::files
