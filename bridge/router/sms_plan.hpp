#pragma once
// The SMS side of routing, in memory (DESIGN.md §3): which SMSC serves a number and at
// what price, which sender number a conversation uses, where a phone's reply goes, who
// said STOP, and what each payer spent this month. Pure state: the router persists
// every change through the store and loads it back at start-up.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/result.hpp"
#include "store/records.hpp"

namespace passerelle {

struct SmsRoute {
  std::string smsc;       // config name
  std::string connector;  // "smpp:<name>"
  std::int64_t price_per_segment = 0;
};

class SmsPlan {
 public:
  explicit SmsPlan(const config::SmsSection& sms);

  // Longest matching prefix over all SMSCs; the tariff's longest prefix gives the price.
  Result<SmsRoute> route(const std::string& e164) const;
  // Through the SMSC named (a ported number), priced by that SMSC's tariff.
  Result<SmsRoute> route_via(const std::string& smsc, const std::string& e164) const;

  // The sender number for a conversation between `phone` and (local, remote): the one
  // already used for it, else one this phone has no conversation on, else the one whose
  // conversation with this phone is the oldest.
  std::string choose_sender(const std::string& phone, const std::string& local,
                            const std::string& remote) const {
    return choose_among(senders_, phone, local, remote);
  }
  // The same choice among other senders that share the threads (RCS chatbots, by address
  // id "bot@platform"). `candidates` must not be empty.
  std::string choose_among(const std::vector<std::string>& candidates, const std::string& phone,
                           const std::string& local, const std::string& remote) const;
  // Records (or refreshes) a thread; returns the row to persist.
  store::ThreadRow touch_thread(const std::string& sender, const std::string& phone,
                                const std::string& local, const std::string& remote,
                                const std::string& conversation_id, std::int64_t now);
  void load_thread(store::ThreadRow row);

  // The latest conversation on (sender, phone), if any.
  std::optional<store::ThreadRow> latest_thread(const std::string& sender,
                                                const std::string& phone) const;
  // The latest conversation of this phone whose remote side is `remote` (for
  // "@network:id"), on any sender number or on one of `chatbots` (RCS, "bot@platform").
  std::optional<store::ThreadRow> thread_with(const std::string& phone, const std::string& remote,
                                              const std::vector<std::string>& chatbots = {}) const;
  bool is_sender_number(const std::string& e164) const;
  const std::vector<std::string>& sender_numbers() const { return senders_; }

  bool opted_out(const std::string& phone) const { return optout_.count(phone) > 0; }
  void set_opted_out(const std::string& phone, bool out);

  // Spending for the current month ("YYYY-MM"); switching month starts from zero.
  void set_month(const std::string& month);
  const std::string& month() const { return month_; }
  std::int64_t spent(const std::string& payer) const;
  void add_spend(const std::string& payer, std::int64_t amount);

  std::size_t thread_count() const { return threads_.size(); }

 private:
  struct Smsc {
    std::string name;
    std::vector<std::string> prefixes;
    std::map<std::string, std::int64_t> tariff;
  };
  static SmsRoute priced(const Smsc& s, const std::string& e164);
  std::vector<Smsc> smscs_;
  std::vector<std::string> senders_;
  // key: sender + '\n' + phone -> threads on it, any order
  std::map<std::string, std::vector<store::ThreadRow>> threads_;
  std::set<std::string> optout_;
  std::string month_;
  std::map<std::string, std::int64_t> spend_;
};

// "YYYY-MM" of a wall-clock time in UTC.
std::string month_of(std::int64_t ms);

}  // namespace passerelle
