#pragma once
// File uploads (POST .../files, multipart/form-data, RFC 7578) and the token request
// (POST {root}/oauth2/v1/token), framed without touching the file: the session writes
// `head`, streams the file's bytes from disk, then writes `tail` (DESIGN.md §6: files up
// to 100 MB are never held in memory).
//
// Fields, as the Node SDK's uploadFile() and coco's upload() send them
// (tests/peers/rcs/fixtures/requests/upload_form*.json): fileType (the content type),
// until (ISO 8601 expiry), then either the file in a part named fileContent or fileUrl
// (the platform fetches the file itself).

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "rcs/codec/limits.hpp"

namespace passerelle::rcs {

struct UploadForm {
  std::string file_type;  // content type, e.g. "image/jpeg" (required)
  std::string until;      // expiry, ISO 8601 (time.hpp format_timestamp); "" for the default
  std::string file_name;  // the part's filename (required with the content, not with file_url)
  std::string file_url;   // instead of the content: a URL the platform downloads
};

struct MultipartUpload {
  std::string content_type;  // multipart/form-data; boundary=...
  std::string head;          // every field, then the file part's headers
  std::string tail;          // CRLF, the closing boundary
  // Content-Length of the whole body for a file of `file_size` bytes (0 with file_url).
  std::uint64_t content_length(std::uint64_t file_size) const {
    return head.size() + file_size + tail.size();
  }
};

// `boundary`: 1 to 70 characters of RFC 2046's bchars without space (letters, digits,
// '\'()+_,-./:=?), chosen at random by the caller so that it cannot occur in the file;
// content_type quotes it when it has one of ()/,:=? (RFC 2045 tspecials).
// The filename is sent as UTF-8 in a quoted string, with '"' and '\' escaped and CR/LF
// refused.
Result<MultipartUpload> build_upload(const UploadForm& form, std::string_view boundary,
                                     const Limits& limits = {});

// application/x-www-form-urlencoded body of a token request, as coco's authtoken.js sends
// it: "grant_type=client_credentials&scope=botmessage", or with a refresh token
// "grant_type=refresh_token&refresh_token=...". `scope` "" is left out.
std::string build_token_request(std::string_view scope);
std::string build_token_refresh(std::string_view refresh_token);

// "Basic " + base64(bot_id ":" secret) for the token endpoint (RFC 7617). A bot id with
// ':' cannot be sent this way: invalid_input.
Result<std::string> basic_authorization(std::string_view bot_id, std::string_view secret);

}  // namespace passerelle::rcs
