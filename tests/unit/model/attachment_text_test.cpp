#include "model/attachment_text.hpp"

#include <gtest/gtest.h>

namespace passerelle {
namespace {

TEST(AttachmentText, SizesForPeople) {
  EXPECT_EQ(human_size(0), "0 bytes");
  EXPECT_EQ(human_size(900), "900 bytes");
  EXPECT_EQ(human_size(2'500'000), "2.5 MB");
  EXPECT_EQ(human_size(104'857'600), "104.9 MB");
  EXPECT_EQ(human_size(3'000'000'000ULL), "3.0 GB");
}

TEST(AttachmentText, OneLinePerFileNotAlreadyInTheText) {
  const Attachment photo{"photo.jpg", "image/jpeg", 2'500'000, "",
                         "https://f.example/files/t/photo.jpg"};
  const Attachment bare{"", "", 0, "", "https://f.example/files/u/x"};
  EXPECT_EQ(attachment_line(photo), "photo.jpg (2.5 MB): https://f.example/files/t/photo.jpg");
  EXPECT_EQ(attachment_line(bare), "file: https://f.example/files/u/x");
  EXPECT_EQ(with_attachment_lines("", {photo}), attachment_line(photo));
  EXPECT_EQ(with_attachment_lines("look", {photo, bare}),
            "look\n" + attachment_line(photo) + "\n" + attachment_line(bare));
  // An XMPP client puts the link in the body as well: not twice.
  EXPECT_EQ(with_attachment_lines("see " + photo.url, {photo}), "see " + photo.url);
  EXPECT_EQ(with_attachment_lines("text", {}), "text");
  EXPECT_EQ(with_attachment_lines("[XMPP] a@x: ", {photo}),
            "[XMPP] a@x: " + attachment_line(photo));
}

}  // namespace
}  // namespace passerelle
