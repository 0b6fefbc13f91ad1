#pragma once
// AIM message text is HTML (AOL's subset: <HTML><BODY><FONT ...>, <B>, <I>, <U>, <A HREF>,
// <BR>, entities), whatever the charset (OSCAR protocol documentation, ICBM "message
// text"; what AIM clients send). ICQ clients usually send plain text. passerelle carries
// plain UTF-8 text, so the ICBM text is converted at this boundary:
//
//   html_to_text: tags dropped; <BR> and the end of <P>/<DIV> become "\n"; a link whose
//     text differs from its target becomes "text (url)"; entities (&amp; &lt; &gt; &quot;
//     &apos; &nbsp; &#NNN; &#xHH;) decoded; an unknown entity, a '<' that does not start a
//     tag ("a < b") and an unterminated tag stay as typed. Works on UTF-8, byte-transparent
//     outside markup. Input over kMaxHtmlInput bytes is converted up to that length.
//   text_to_html: & < > " escaped, "\n" as <BR>; no <HTML> wrapper (AIM clients accept
//     bare text).

#include <cstddef>
#include <string>
#include <string_view>

namespace passerelle::oscar {

inline constexpr std::size_t kMaxHtmlInput = 64 * 1024;

// Whether `s` carries one of the tags AIM clients put in messages (case-insensitive).
bool looks_like_html(std::string_view s);
std::string html_to_text(std::string_view html);
std::string text_to_html(std::string_view text);

}  // namespace passerelle::oscar
