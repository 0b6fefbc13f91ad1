// Secrets at rest: AES-256-GCM with the key in a 0600 file (secret_box.hpp).
#include "store/secret_box.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <set>

namespace passerelle::store {
namespace {

namespace fs = std::filesystem;

class SecretBoxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("passerelle-secret-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string key() const { return (dir_ / "secret.key").string(); }
  static std::array<unsigned char, 32> fixed(unsigned char b) {
    std::array<unsigned char, 32> k{};
    k.fill(b);
    return k;
  }
  fs::path dir_;
};

TEST_F(SecretBoxTest, SealsAndOpensWithTheSameKeyAndContext) {
  const SecretBox box(fixed(7));
  for (std::string plain : {std::string("hunter2"), std::string(), std::string(300, 'x'),
                            std::string("p\0ss\xff", 5)}) {
    auto sealed = box.seal(plain, "aim:alice");
    ASSERT_TRUE(sealed.ok());
    EXPECT_TRUE(SecretBox::is_sealed(*sealed));
    if (!plain.empty()) {
      EXPECT_EQ(sealed->find(plain), std::string::npos);
    }
    auto opened = box.open(*sealed, "aim:alice");
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    EXPECT_EQ(*opened, plain);
  }
}

TEST_F(SecretBoxTest, EverySealIsDifferent) {
  const SecretBox box(fixed(7));
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) seen.insert(*box.seal("same", "msn:bob@example.com"));
  EXPECT_EQ(seen.size(), 50u);  // a fresh nonce each time
}

TEST_F(SecretBoxTest, AnotherKeyAnotherContextOrADamagedValueDoNotOpen) {
  const SecretBox box(fixed(7));
  const std::string sealed = *box.seal("hunter2", "aim:alice");
  EXPECT_FALSE(SecretBox(fixed(8)).open(sealed, "aim:alice").ok());
  EXPECT_FALSE(box.open(sealed, "aim:mallory").ok());  // copied onto another row
  for (std::size_t at : {sealed.size() - 1, SecretBox::kPrefix.size() + 1, sealed.size() / 2}) {
    std::string bad = sealed;
    bad[at] = bad[at] == '0' ? '1' : '0';
    auto r = box.open(bad, "aim:alice");
    EXPECT_FALSE(r.ok()) << "flipped at " << at;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, Errc::invalid_input);
    }
  }
  EXPECT_FALSE(box.open(sealed.substr(0, sealed.size() - 2), "aim:alice").ok());
  EXPECT_FALSE(box.open("gcm1:", "aim:alice").ok());
  EXPECT_FALSE(box.open("gcm1:zz", "aim:alice").ok());
  EXPECT_FALSE(box.open("hunter2", "aim:alice").ok());  // in clear: not sealed
}

TEST_F(SecretBoxTest, TheKeyFileIsCreatedOnceWithMode0600AndReadAgain) {
  auto first = SecretBox::load_or_create(key());
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(first->created());
  struct stat st {};
  ASSERT_EQ(::stat(key().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(fs::file_size(key()), 65u);  // 64 hex digits and a newline
  const std::string sealed = *first->seal("hunter2", "aim:alice");

  auto again = SecretBox::load_or_create(key());
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_FALSE(again->created());
  auto opened = again->open(sealed, "aim:alice");
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, "hunter2");
}

TEST_F(SecretBoxTest, AKeyFileOthersMayReadIsRefusedWithWhatToDo) {
  ASSERT_TRUE(SecretBox::load_or_create(key()).ok());
  ASSERT_EQ(::chmod(key().c_str(), 0644), 0);
  auto r = SecretBox::load_or_create(key());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("mode 0644"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("chmod 600 " + key()), std::string::npos);
}

TEST_F(SecretBoxTest, AFileThatIsNotAKeyIsRefusedAndLeftAlone) {
  for (const std::string text :
       {std::string(), std::string("short\n"), std::string(64, 'g'), std::string(66, 'a')}) {
    {
      std::ofstream out(key(), std::ios::trunc);
      out << text;
    }
    ::chmod(key().c_str(), 0600);
    auto r = SecretBox::load_or_create(key());
    EXPECT_FALSE(r.ok()) << "accepted " << text;
    if (!r.ok()) {
      EXPECT_NE(r.error().message.find("does not hold a key"), std::string::npos);
    }
    EXPECT_EQ(fs::file_size(key()), text.size());  // never overwritten
  }
  fs::remove(key());
  fs::create_directory(key());
  EXPECT_FALSE(SecretBox::load_or_create(key()).ok());
  EXPECT_FALSE(SecretBox::load_or_create((dir_ / "missing-dir" / "k").string()).ok());
}

}  // namespace
}  // namespace passerelle::store
