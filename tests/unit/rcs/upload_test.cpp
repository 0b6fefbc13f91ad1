// Multipart upload framing (head and tail around the streamed file), token requests and
// HTTP Basic credentials.

#include "rcs/codec/upload.hpp"

#include <gtest/gtest.h>

namespace passerelle::rcs {
namespace {

TEST(RcsUpload, HeadAndTail) {
  auto up = build_upload({"image/jpeg", "2030-01-01T00:00:00.000Z", "a.jpg", ""}, "XyZ");
  ASSERT_TRUE(up.ok()) << up.error().message;
  EXPECT_EQ(up->content_type, "multipart/form-data; boundary=XyZ");
  EXPECT_EQ(up->head,
            "--XyZ\r\nContent-Disposition: form-data; name=\"fileType\"\r\n\r\nimage/jpeg\r\n"
            "--XyZ\r\nContent-Disposition: form-data; name=\"until\"\r\n\r\n"
            "2030-01-01T00:00:00.000Z\r\n"
            "--XyZ\r\nContent-Disposition: form-data; name=\"fileContent\"; filename=\"a.jpg\"\r\n"
            "Content-Type: image/jpeg\r\n\r\n");
  EXPECT_EQ(up->tail, "\r\n--XyZ--\r\n");
  EXPECT_EQ(up->content_length(100), up->head.size() + 100 + up->tail.size());
  // 100 MiB and more: the length is computed, the file is never in memory.
  EXPECT_EQ(up->content_length(104857600ull) - up->content_length(0), 104857600ull);
}

TEST(RcsUpload, NoUntilMeansThePlatformDefault) {
  auto up = build_upload({"application/pdf", "", "doc.pdf", ""}, "b");
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up->head.find("name=\"until\""), std::string::npos);
}

TEST(RcsUpload, FileNameQuoting) {
  auto up = build_upload({"text/plain", "", "say \"hi\" \\ été.txt", ""}, "b");
  ASSERT_TRUE(up.ok());
  EXPECT_NE(up->head.find("filename=\"say \\\"hi\\\" \\\\ été.txt\""), std::string::npos)
      << up->head;
  EXPECT_FALSE(build_upload({"text/plain", "", "a\r\nContent-Type: evil", ""}, "b").ok());
  EXPECT_FALSE(build_upload({"text/plain", "", "", ""}, "b").ok());
  EXPECT_FALSE(build_upload({"text/plain", "", "bad\xff", ""}, "b").ok());
}

TEST(RcsUpload, Checks) {
  const UploadForm f{"image/png", "", "a.png", ""};
  EXPECT_FALSE(build_upload(f, "").ok());
  EXPECT_FALSE(build_upload(f, std::string(71, 'a')).ok());
  EXPECT_TRUE(build_upload(f, std::string(70, 'a')).ok());
  EXPECT_FALSE(build_upload(f, "has space").ok());
  EXPECT_FALSE(build_upload(f, "semi;colon").ok());
  auto special = build_upload(f, "'()+_,-./:=?");
  ASSERT_TRUE(special.ok());
  EXPECT_EQ(special->content_type, "multipart/form-data; boundary=\"'()+_,-./:=?\"");
  EXPECT_EQ(special->tail, "\r\n--'()+_,-./:=?--\r\n");
  EXPECT_FALSE(build_upload({"", "", "a.png", ""}, "b").ok());
  EXPECT_FALSE(build_upload({"image/png\r\nX: y", "", "a.png", ""}, "b").ok());
  EXPECT_FALSE(build_upload({"image/png", "", "", "ftp://host/a.png"}, "b").ok());
  auto by_url = build_upload({"image/png", "", "", "https://host/a.png"}, "b");
  ASSERT_TRUE(by_url.ok());
  EXPECT_EQ(by_url->tail, "--b--\r\n");
  EXPECT_EQ(by_url->head.find("fileContent"), std::string::npos);
}

TEST(RcsUpload, TokenRequests) {
  EXPECT_EQ(build_token_request("botmessage"), "grant_type=client_credentials&scope=botmessage");
  EXPECT_EQ(build_token_request(""), "grant_type=client_credentials");
  EXPECT_EQ(build_token_refresh("a+b/c="), "grant_type=refresh_token&refresh_token=a%2Bb%2Fc%3D");
}

TEST(RcsUpload, BasicAuthorization) {
  EXPECT_EQ(basic_authorization("bot-a", "client-secret").value(),
            "Basic Ym90LWE6Y2xpZW50LXNlY3JldA==");
  EXPECT_EQ(basic_authorization("b", "").value(), "Basic Yjo=");
  EXPECT_EQ(basic_authorization("bo", "").value(), "Basic Ym86");
  EXPECT_EQ(basic_authorization("bot", "é").value(), "Basic Ym90OsOp");
  EXPECT_FALSE(basic_authorization("a:b", "s").ok());
}

}  // namespace
}  // namespace passerelle::rcs
