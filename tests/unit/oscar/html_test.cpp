#include "oscar/codec/html.hpp"

#include <gtest/gtest.h>

namespace passerelle::oscar {
namespace {

TEST(OscarHtml, WhatAimClientsSend) {
  EXPECT_EQ(html_to_text("<HTML><BODY BGCOLOR=\"#ffffff\"><FONT LANG=\"0\">hi there</FONT>"
                         "</BODY></HTML>"),
            "hi there");
  EXPECT_EQ(html_to_text("<B>bold</B> and <i>it</i><BR>line two<br/>three"),
            "bold and it\nline two\nthree");
  EXPECT_EQ(html_to_text("fish &amp; chips &lt;3 &quot;ok&quot; &#233;t&#xE9; caf&eacute;"),
            "fish & chips <3 \"ok\" \xc3\xa9t\xc3\xa9 caf&eacute;");
  EXPECT_EQ(html_to_text("&nbsp;"), "\xc2\xa0");
}

TEST(OscarHtml, Links) {
  EXPECT_EQ(html_to_text("see <A HREF=\"http://example.org/?a=1&amp;b=2\">this</A>!"),
            "see this (http://example.org/?a=1&b=2)!");
  EXPECT_EQ(html_to_text("<a href=\"http://x.org\">http://x.org</a>"), "http://x.org");
  EXPECT_EQ(html_to_text("<a href='http://x.org'></a>"), "http://x.org");
  EXPECT_EQ(html_to_text("<a href=http://x.org>x</a>"), "x (http://x.org)");
}

TEST(OscarHtml, PlainTextSurvives) {
  EXPECT_EQ(html_to_text("a < b > c"), "a < b > c");
  EXPECT_EQ(html_to_text("1 <2"), "1 <2");
  EXPECT_EQ(html_to_text("unterminated <b"), "unterminated <b");
  EXPECT_EQ(html_to_text("AT&T; &#xZZ; &#; &"), "AT&T; &#xZZ; &#; &");
  EXPECT_EQ(html_to_text("caf\xc3\xa9 \xf0\x9f\x98\x80"), "caf\xc3\xa9 \xf0\x9f\x98\x80");
  EXPECT_EQ(html_to_text("<p>one</p><p>two</p>"), "one\ntwo");
}

TEST(OscarHtml, Detection) {
  EXPECT_TRUE(looks_like_html("<HTML><BODY>x</BODY></HTML>"));
  EXPECT_TRUE(looks_like_html("a<br>b"));
  EXPECT_FALSE(looks_like_html("a < b"));
  EXPECT_FALSE(looks_like_html("<3 you"));
  EXPECT_FALSE(looks_like_html("<unknown>"));
}

TEST(OscarHtml, TextToHtmlRoundTrips) {
  for (const char* s : {"plain", "a < b & c > \"d\"", "two\nlines", "caf\xc3\xa9 <3"}) {
    EXPECT_EQ(html_to_text(text_to_html(s)), s);
  }
  EXPECT_EQ(text_to_html("a<b\r\nc"), "a&lt;b<BR>c");
}

}  // namespace
}  // namespace passerelle::oscar
