// The journal of parts of long SMS answered before their message was committed.

#include "smpp/connector/part_journal.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace passerelle::smpp {
namespace {

Part part(const std::string& from, std::uint16_t ref, std::uint8_t total, std::uint8_t seq,
          std::string data, RefSize size = RefSize::bits8) {
  Part p;
  p.source = from;
  p.destination = "33700000001";
  p.concat = Concat{ref, total, seq, size};
  p.data_coding = 8;
  p.data = std::move(data);
  return p;
}

class PartJournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("passerelle-journal-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    file_ = dir_ / "parts.journal";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_, file_;
};

TEST(PartJournalLines, RoundTripAndRefuseWhatIsNotARecord) {
  const Part p = part("33611111111", 300, 3, 2, std::string("\x00\xE9 \n", 4), RefSize::bits16);
  const auto line = journal_part_line(p);
  EXPECT_EQ(line.back(), '\n');
  auto r = parse_journal_line(line);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->done);
  EXPECT_EQ(r->part.source, p.source);
  EXPECT_EQ(r->part.destination, p.destination);
  EXPECT_EQ(r->part.concat, p.concat);
  EXPECT_EQ(r->part.data_coding, 8);
  EXPECT_EQ(r->part.data, p.data);
  auto d = parse_journal_line(journal_done_line("a b", "", 7, 2));
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->done);
  EXPECT_EQ(d->part.source, "a b");
  EXPECT_EQ(d->part.destination, "");
  EXPECT_EQ(d->part.concat->ref, 7);
  EXPECT_EQ(d->part.concat->total, 2);
  // Torn or foreign lines.
  EXPECT_FALSE(parse_journal_line(line.substr(0, line.size() / 2)));
  EXPECT_FALSE(parse_journal_line(""));
  EXPECT_FALSE(parse_journal_line("P 41 42 1 8 2 3 0 41"));    // seq over total
  EXPECT_FALSE(parse_journal_line("P 41 42 300 8 2 1 0 41"));  // 8-bit reference over 255
  EXPECT_FALSE(parse_journal_line("P 41 42 1 12 2 1 0 41"));   // neither 8 nor 16 bits
  EXPECT_FALSE(parse_journal_line("P 4 42 1 8 2 1 0 41"));     // odd hex
  EXPECT_FALSE(parse_journal_line("D 41 42 1 0"));             // no parts
  EXPECT_FALSE(parse_journal_line("X 41 42 1 2"));
}

TEST_F(PartJournalTest, PartsComeBackUntilTheirMessageIsDone) {
  {
    PartJournal j(file_);
    ASSERT_TRUE(j.recover().ok());  // no file yet
    ASSERT_TRUE(j.add(part("1", 1, 3, 1, "a")).ok());
    ASSERT_TRUE(j.add(part("2", 9, 2, 1, "x")).ok());
    ASSERT_TRUE(j.add(part("1", 1, 3, 2, "b")).ok());
    ASSERT_TRUE(j.done("2", "33700000001", 9, 2).ok());
    EXPECT_EQ(j.messages(), 1u);
  }  // a crash: message 1 never completed
  {
    std::ofstream torn(file_, std::ios::app);
    torn << "P 31 33";  // a write cut short
  }
  PartJournal again(file_);
  auto kept = again.recover();
  ASSERT_TRUE(kept.ok());
  ASSERT_EQ(kept->size(), 2u);
  EXPECT_EQ((*kept)[0].data, "a");
  EXPECT_EQ((*kept)[1].data, "b");
  EXPECT_EQ(again.messages(), 1u);
  // Rewritten with only those two: a third start sees the same.
  {
    PartJournal third(file_);
    EXPECT_EQ(third.recover()->size(), 2u);
  }
  ASSERT_TRUE(again.done("1", "33700000001", 1, 3).ok());
  EXPECT_EQ(again.messages(), 0u);
  EXPECT_EQ(std::filesystem::file_size(file_), 0u);  // nothing left: emptied
  PartJournal last(file_);
  EXPECT_TRUE(last.recover()->empty());
  EXPECT_FALSE(std::filesystem::exists(file_));
}

TEST_F(PartJournalTest, DoneForAMessageWithoutPartsHereWritesNothing) {
  PartJournal j(file_);
  ASSERT_TRUE(j.done("1", "2", 3, 4).ok());
  EXPECT_FALSE(std::filesystem::exists(file_));
  PartJournal off{std::filesystem::path()};
  EXPECT_TRUE(off.add(part("1", 1, 2, 1, "a")).ok());
  EXPECT_TRUE(off.recover()->empty());
}

TEST_F(PartJournalTest, AnUnwritableFileIsAnError) {
  PartJournal j(dir_ / "missing" / "parts.journal");
  auto st = j.add(part("1", 1, 2, 1, "a"));
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("cannot open"), std::string::npos) << st.error().message;
}

}  // namespace
}  // namespace passerelle::smpp
