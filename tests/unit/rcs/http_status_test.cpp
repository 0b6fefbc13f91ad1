// The decision by HTTP status, the errors it becomes, and Retry-After.

#include "rcs/codec/http_status.hpp"

#include <gtest/gtest.h>

namespace passerelle::rcs {
namespace {

TEST(RcsHttpStatus, SuccessWhateverTheCode) {
  for (Call c :
       {Call::send, Call::typing, Call::revoke, Call::mark_displayed, Call::message_status,
        Call::capabilities, Call::upload, Call::file_info, Call::file_delete, Call::token}) {
    for (int s : {200, 201, 202, 204, 299}) EXPECT_EQ(classify(c, s), Outcome::ok) << call_name(c);
  }
}

TEST(RcsHttpStatus, NotFoundDependsOnTheCall) {
  EXPECT_EQ(classify(Call::capabilities, 404), Outcome::not_rcs_capable);
  EXPECT_EQ(classify(Call::send, 404), Outcome::not_rcs_capable);
  EXPECT_EQ(classify(Call::typing, 404), Outcome::not_rcs_capable);
  EXPECT_EQ(classify(Call::revoke, 404), Outcome::too_late);
  EXPECT_EQ(classify(Call::mark_displayed, 404), Outcome::permanent);
  EXPECT_EQ(classify(Call::message_status, 404), Outcome::permanent);
  EXPECT_EQ(classify(Call::file_info, 404), Outcome::permanent);
  EXPECT_EQ(classify(Call::upload, 404), Outcome::permanent);
}

TEST(RcsHttpStatus, Retryable) {
  for (int s : {kNoAnswer, 408, 429, 500, 502, 503, 504, 599}) {
    EXPECT_EQ(classify(Call::send, s), Outcome::retryable) << s;
    EXPECT_EQ(classify(Call::revoke, s), Outcome::retryable) << s;
  }
}

TEST(RcsHttpStatus, UnauthorizedAndPermanent) {
  EXPECT_EQ(classify(Call::send, 401), Outcome::unauthorized);
  EXPECT_EQ(classify(Call::upload, 401), Outcome::unauthorized);
  EXPECT_EQ(classify(Call::token, 401), Outcome::permanent);  // wrong credentials
  for (int s : {100, 301, 304, 400, 403, 405, 409, 413, 415, 416, 422, 600, -1}) {
    EXPECT_EQ(classify(Call::send, s), Outcome::permanent) << s;
  }
}

TEST(RcsHttpStatus, Errors) {
  Error e = to_error(Call::capabilities, 404,
                     {ErrorBody::Form::json_reason, 404, "NOT_FOUND", "not RCS capable"});
  EXPECT_EQ(e.code, Errc::not_found);
  EXPECT_EQ(e.protocol_status, 404);
  EXPECT_FALSE(e.retryable);
  EXPECT_NE(e.message.find("no RCS"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("HTTP 404: not RCS capable"), std::string::npos) << e.message;

  e = to_error(Call::send, 503);
  EXPECT_EQ(e.code, Errc::unavailable);
  EXPECT_TRUE(e.retryable);
  EXPECT_NE(e.message.find("(HTTP 503)"), std::string::npos) << e.message;

  e = to_error(Call::send, kNoAnswer);
  EXPECT_TRUE(e.retryable);
  EXPECT_NE(e.message.find("no answer"), std::string::npos);
  EXPECT_EQ(e.protocol_status, 0);

  EXPECT_EQ(to_error(Call::revoke, 404).code, Errc::not_found);
  EXPECT_NE(to_error(Call::revoke, 404).message.find("cannot be revoked"), std::string::npos);
  EXPECT_EQ(to_error(Call::send, 401).code, Errc::not_allowed);
  EXPECT_EQ(to_error(Call::token, 401).code, Errc::not_allowed);
  EXPECT_EQ(to_error(Call::send, 403).code, Errc::not_allowed);
  EXPECT_EQ(to_error(Call::send, 400).code, Errc::invalid_input);
  EXPECT_EQ(to_error(Call::send, 409).code, Errc::invalid_input);
  EXPECT_EQ(to_error(Call::upload, 413).code, Errc::limit_exceeded);
  EXPECT_EQ(to_error(Call::file_info, 404).code, Errc::not_found);
  EXPECT_EQ(to_error(Call::send, 302).code, Errc::internal);
  for (Call c : {Call::send, Call::upload}) {
    for (int s : {400, 401, 403, 404, 409, 413, 429, 500, 503}) {
      EXPECT_EQ(to_error(c, s).retryable, classify(c, s) == Outcome::retryable) << s;
    }
  }
}

TEST(RcsHttpStatus, RetryAfter) {
  EXPECT_EQ(parse_retry_after("120"), std::chrono::seconds(120));
  EXPECT_EQ(parse_retry_after(" 0 "), std::chrono::seconds(0));
  EXPECT_EQ(parse_retry_after("99999999"), std::chrono::seconds(86400));
  EXPECT_FALSE(parse_retry_after("Fri, 31 Dec 1999 23:59:59 GMT"));
  EXPECT_FALSE(parse_retry_after("-1"));
  EXPECT_FALSE(parse_retry_after(""));
  EXPECT_FALSE(parse_retry_after("1.5"));
  EXPECT_FALSE(parse_retry_after("9999999999999"));
}

}  // namespace
}  // namespace passerelle::rcs
